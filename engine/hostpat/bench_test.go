package hostpat

import (
	"fmt"
	"testing"
)

// hundred returns 100 patterns of the usual mix: exact hosts, subdomain
// globs, ports and a few CIDRs.
func hundred() []string {
	var ss []string
	for i := 0; len(ss) < 100; i++ {
		ss = append(ss,
			fmt.Sprintf("svc%d.example.com", i),
			fmt.Sprintf("*.team%d.example.org", i),
			fmt.Sprintf("api%d.example.net:443", i),
			fmt.Sprintf("10.%d.0.0/16", i))
	}
	return ss[:100]
}

func BenchmarkListMatch100(b *testing.B) {
	l := MustParseList(b, hundred()...)
	for _, host := range []string{"www.github.com", "x.team24.example.org", "10.99.1.1"} {
		b.Run(host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Match(host, 443)
			}
		})
	}
}

func BenchmarkTableLookup100(b *testing.B) {
	var tab Table[int]
	for i, s := range hundred() {
		tab.Set(MustParse(s), i)
	}
	for _, host := range []string{"svc7.example.com", "x.team24.example.org", "10.99.1.1", "www.github.com"} {
		b.Run(host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(host, 443)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Parse("*.API.example.com:443")
	}
}
