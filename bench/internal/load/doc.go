// Package load is the load generator behind bench/loadgen and the smoke
// test: a fixed number of workers send HTTPS requests, directly or through a
// proxy with CONNECT and proxy credentials, verify TLS against the CA they
// are given, and check on every response that the upstream saw the injected
// header. A response without it counts as an error.
package load
