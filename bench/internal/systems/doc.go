// Package systems starts the systems the benchmark compares, each as a real
// process on 127.0.0.1 with its own temporary directory: sandgate (file or
// Vault secrets), mitmproxy with a small addon, and Squid with ssl-bump and
// request_header_add. Each is set up to intercept TLS for the load
// generator, add "X-Auth-Token: <secret>" and forward to the upstream, which
// it verifies against the upstream's CA. The direct system is no proxy at
// all: the limit.
package systems
