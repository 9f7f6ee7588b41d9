// Package hostpat parses and matches the host patterns of sandgate's policy:
// globs compiled with github.com/gobwas/glob with no separator ('*' and '?'
// cross dots; sets, ranges, {a,b} groups and '\' escapes), an optional
// ":port", and IP or CIDR entries. It also picks the most specific of
// several patterns for a host, so that the binding chosen never depends on
// the order bindings were written.
package hostpat
