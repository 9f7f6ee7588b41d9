// Package upstream is the benchmark's destination: an HTTPS server on
// 127.0.0.1 with an ECDSA P-256 certificate from its own CA, whose body
// shows the values of one request header it received, one per line, so the
// load generator can check on every response that the proxy injected it.
package upstream
