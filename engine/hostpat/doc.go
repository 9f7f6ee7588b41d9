// Package hostpat parses and matches the host patterns of sandgate's policy:
// globs where '*' crosses dots, an optional ":port", and IP or CIDR entries.
// It also picks the most specific of several patterns for a host, so that the
// binding chosen never depends on the order bindings were written.
package hostpat
