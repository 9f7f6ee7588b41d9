// Package ca is the certificate authority of one sandbox: a CA whose ECDSA
// P-256 key lives only in memory, and the leaf certificates it mints per host
// to terminate the sandbox's TLS connections. Each sandbox gets its own
// Authority, so one sandbox's CA never validates another's connections.
package ca
