// Package integration holds sandgate's end-to-end tests. They run the real
// binary against real processes only: curl, TLS upstreams on 127.0.0.1 and
// a real Vault server. A missing tool fails the test with what to install;
// nothing here skips.
package integration
