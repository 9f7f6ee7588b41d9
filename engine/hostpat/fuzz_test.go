package hostpat

import (
	"cmp"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, fails only with a *ParseError, and a
// pattern's canonical text parses to itself. A name or glob matches host
// exactly when the reference regular expression of its text does.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*.example.com", "{api,uploads}.github.com:443", "[!a-z]?.x", `a\.b`, "10.0.0.0/8", "[::1]:80", "{a,{b,c}}"} {
		f.Add(s, "api.github.com")
	}
	f.Fuzz(func(t *testing.T, pattern, host string) {
		p, err := Parse(pattern)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): got %T %v, want a *ParseError", pattern, err, err)
			}
			return
		}
		again, err := Parse(p.String())
		if err != nil || again.String() != p.String() || again.specificity() != p.specificity() {
			t.Fatalf("Parse(%q) = %q, which reparses to %q (%v)", pattern, p, again, err)
		}
		if p.kind != kindName && p.kind != kindGlob {
			return
		}
		re, err := regexp.Compile(globRegexp(p.name))
		if err != nil {
			t.Fatalf("reference regexp of %q: %v", p.name, err)
		}
		if got, want := p.Match(host, p.Port()), re.MatchString(Normalize(host)); got != want {
			t.Fatalf("%q.Match(%q): got %v, want %v", p, host, got, want)
		}
	})
}

// FuzzTable: a Table built from space-separated patterns finds, for any
// host and port, what a brute-force search for the most specific match
// finds, also after the winner is deleted.
func FuzzTable(f *testing.F) {
	f.Add("*.github.com api.github.com {api,uploads}.github.com *.com:443 *", "api.github.com", uint16(443))
	f.Add("10.0.0.0/8 10.1.0.0/16:443 10.1.2.3 * 10.*", "10.1.2.3", uint16(443))
	f.Add("a?c.com [a-c]bc.com abc.com:80 *c.com", "abc.com", uint16(80))
	f.Fuzz(func(t *testing.T, patterns, host string, port uint16) {
		var pats []Pattern
		tab := &Table[string]{}
		for _, s := range strings.Fields(patterns) {
			if p, err := Parse(s); err == nil {
				pats = append(pats, p)
				tab.Set(p, p.String())
			}
		}
		for range 3 {
			want, wok := bruteLookup(pats, host, int(port))
			got, _, ok := tab.Lookup(host, int(port))
			if ok != wok || got.String() != want.String() {
				t.Fatalf("Lookup(%q, %d) in %q: got %q (%v), want %q (%v)", host, port, patterns, got, ok, want, wok)
			}
			if !ok {
				return
			}
			tab.Delete(got.String())
			pats = deleteText(pats, got.String())
		}
	})
}

// bruteLookup tries every pattern and keeps the best match by the rules of
// Lookup.
func bruteLookup(pats []Pattern, host string, port int) (Pattern, bool) {
	var best Pattern
	found := false
	for _, p := range pats {
		if p.Match(host, port) && (!found || rankCompare(p, best) < 0) {
			best, found = p, true
		}
	}
	return best, found
}

// rankCompare orders two matching patterns, best first: exact with port,
// exact, CIDRs by prefix length (with a port first), globs by specificity,
// then by text.
func rankCompare(a, b Pattern) int {
	class := func(p Pattern) int {
		switch p.kind {
		case kindName, kindIP:
			if p.port != 0 {
				return 0
			}
			return 1
		case kindCIDR:
			return 2
		}
		return 3
	}
	if c := cmp.Compare(class(a), class(b)); c != 0 {
		return c
	}
	if a.kind == kindCIDR {
		if c := cmp.Compare(b.prefix.Bits(), a.prefix.Bits()); c != 0 {
			return c
		}
		if c := cmp.Compare(hasPort(&b), hasPort(&a)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(b.specificity(), a.specificity()); a.kind == kindGlob && c != 0 {
		return c
	}
	return strings.Compare(a.text, b.text)
}

func deleteText(pats []Pattern, text string) []Pattern {
	out := pats[:0]
	for _, p := range pats {
		if p.text != text {
			out = append(out, p)
		}
	}
	return out
}
