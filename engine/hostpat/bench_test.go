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

// thousand returns 1,000 runtime bindings of one sandbox, written with '*'
// only so that the legacy matcher can take them too: exact hosts, subdomain
// globs, inner and trailing stars, some limited to a port.
func thousand() []string {
	var ss []string
	for i := 0; len(ss) < 1000; i++ {
		ss = append(ss,
			fmt.Sprintf("svc%d.example.com", i),
			fmt.Sprintf("*.team%d.example.org", i),
			fmt.Sprintf("api-%d-*.example.net:443", i),
			fmt.Sprintf("*.region%d.*.cloud.example", i),
			fmt.Sprintf("build%d.ci.*", i))
	}
	return ss[:1000]
}

// lookupHosts are the hosts of BenchmarkLookup1000: an exact host, a glob
// that ranks high, one that ranks low, and a host that nothing matches
// (every glob tried).
var lookupHosts = []string{"svc150.example.com", "x.team199.example.org", "build7.ci.example.io", "www.github.com"}

// BenchmarkLookup1000 compares the legacy matcher with the Table on the
// same 1,000 patterns and hosts.
func BenchmarkLookup1000(b *testing.B) {
	pats := thousand()
	old := newLegacyTable(pats)
	var tab Table[string]
	for _, s := range pats {
		tab.Set(MustParse(s), s)
	}
	for _, host := range lookupHosts {
		if got, want := lookupText(&tab, host), old.lookup(host, 443); got != want {
			b.Fatalf("%s: new matcher found %q, legacy %q", host, got, want)
		}
		b.Run("legacy/"+host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				old.lookup(host, 443)
			}
		})
		b.Run("gobwas/"+host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(host, 443)
			}
		})
	}
}

func lookupText(t *Table[string], host string) string {
	p, _, _ := t.Lookup(host, 443)
	return p.String()
}

// BenchmarkLookup1000Syntax looks up hosts among 1,000 bindings that use
// the whole glob syntax ('?', sets, {...} groups), which only the new
// matcher can take.
func BenchmarkLookup1000Syntax(b *testing.B) {
	var tab Table[int]
	for i := 0; tab.Len() < 1000; i++ {
		for _, s := range []string{
			fmt.Sprintf("{api,uploads}.team%d.example.com", i),
			fmt.Sprintf("node[0-9]-%d.ci.example.net", i),
			fmt.Sprintf("?-%d.[!x]*.example.org:443", i),
			fmt.Sprintf("build%d.{eu,us}-*.example.io", i),
		} {
			tab.Set(MustParse(s), i)
		}
	}
	for _, host := range []string{"uploads.team77.example.com", "node7-140.ci.example.net", "a-5.b.c.example.org", "www.github.com"} {
		if _, _, ok := tab.Lookup(host, 443); !ok && host != "www.github.com" {
			b.Fatalf("%s: no match", host)
		}
		b.Run(host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(host, 443)
			}
		})
	}
}
