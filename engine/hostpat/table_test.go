package hostpat

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// permutations calls f with every ordering of s.
func permutations(s []string, f func([]string)) {
	var rec func(int)
	rec = func(k int) {
		if k == len(s) {
			f(s)
			return
		}
		for i := k; i < len(s); i++ {
			s[k], s[i] = s[i], s[k]
			rec(k + 1)
			s[k], s[i] = s[i], s[k]
		}
	}
	rec(0)
}

// TestTableSpecificity inserts patterns in every order, then looks the host
// up, removes the winner, and looks up again: the winners must come out in
// the order listed, whatever the insertion order.
func TestTableSpecificity(t *testing.T) {
	tests := []struct {
		name  string
		host  string
		port  int
		order []string // most specific first
	}{
		{
			name: "names", host: "api.github.com", port: 443,
			order: []string{
				"api.github.com:443", "api.github.com", "*.github.com:443",
				"*.github.com", "api.github.*", "*.com:443", "*",
			},
		},
		{
			name: "ipv4", host: "10.1.2.3", port: 443,
			order: []string{
				"10.1.2.3:443", "10.1.2.3", "10.1.2.3/32", "10.1.0.0/16:443",
				"10.1.0.0/16", "10.0.0.0/8", "*",
			},
		},
		{
			name: "ipv6", host: "[2001:db8::1]", port: 443,
			order: []string{
				"[2001:db8::1]:443", "2001:db8::1", "[2001:db8::/48]:443",
				"2001:db8::/48", "[2001:db8::/32]:443", "2001:db8::/32", "*:443",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			perm := slices.Clone(tc.order)
			permutations(perm, func(ins []string) {
				tab := &Table[string]{}
				for _, s := range ins {
					tab.Set(MustParse(s), s)
				}
				for _, want := range tc.order {
					p, v, ok := tab.Lookup(tc.host, tc.port)
					if !ok || v != want || p.String() != want {
						t.Fatalf("inserted %q: got %q (%v), want %q", ins, v, ok, want)
					}
					tab.Delete(want)
				}
				if _, _, ok := tab.Lookup(tc.host, tc.port); ok {
					t.Fatalf("inserted %q: match in an empty table", ins)
				}
			})
		})
	}
}

func TestTableLookup(t *testing.T) {
	tab := &Table[int]{}
	for i, s := range []string{
		"example.com", "example.com:8443", "*.example.com", "10.0.0.0/8",
		"10.0.0.0/8:8080", "*.internal:443", "google.*",
	} {
		tab.Set(MustParse(s), i)
	}
	tests := []struct {
		host string
		port int
		want string // "" for no match
	}{
		{host: "example.com", port: 443, want: "example.com"},
		{host: "Example.COM.", port: 8443, want: "example.com:8443"},
		{host: "www.example.com", port: 8443, want: "*.example.com"},
		{host: "10.1.1.1", port: 8080, want: "10.0.0.0/8:8080"},
		{host: "10.1.1.1", port: 80, want: "10.0.0.0/8"},
		{host: "11.1.1.1", port: 80},
		{host: "db.internal", port: 443, want: "*.internal:443"},
		{host: "db.internal", port: 5432},
		{host: "google.co.uk", port: 443, want: "google.*"},
		{host: "example.org", port: 443},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			p, _, ok := tab.Lookup(tc.host, tc.port)
			if got := p.String(); got != tc.want || ok != (tc.want != "") {
				t.Errorf("got %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

func TestTableSetReplacesAndDelete(t *testing.T) {
	var tab Table[string]
	if _, _, ok := tab.Lookup("example.com", 443); ok {
		t.Fatal("zero Table matched")
	}
	tab.Set(MustParse("Example.com"), "one")
	tab.Set(MustParse("example.com."), "two")
	tab.Set(MustParse("*.example.com"), "glob")
	tab.Set(MustParse("*.EXAMPLE.com"), "glob2")
	tab.Set(Pattern{}, "ignored")
	if got := tab.Len(); got != 2 {
		t.Fatalf("got Len %d, want 2", got)
	}
	if _, v, _ := tab.Lookup("example.com", 443); v != "two" {
		t.Errorf("got %q, want %q", v, "two")
	}
	if _, v, _ := tab.Lookup("a.example.com", 443); v != "glob2" {
		t.Errorf("got %q, want %q", v, "glob2")
	}
	if !tab.Delete("EXAMPLE.COM") {
		t.Error("Delete(EXAMPLE.COM): got false, want true")
	}
	if tab.Delete("example.com") || tab.Delete("not valid") {
		t.Error("Delete of an absent or invalid pattern: got true, want false")
	}
	if tab.Len() != 1 {
		t.Errorf("got Len %d, want 1", tab.Len())
	}
}

func TestTableEntriesAndClone(t *testing.T) {
	var tab Table[int]
	for i, s := range []string{"b.com", "*.a.com", "10.0.0.0/8", "a.com:443"} {
		tab.Set(MustParse(s), i)
	}
	clone := tab.Clone()
	clone.Set(MustParse("c.com"), 9)
	clone.Delete("b.com")
	clone.Set(MustParse("*.a.com"), 7)

	var got []string
	for _, e := range tab.Entries() {
		got = append(got, e.Pattern.String())
	}
	want := []string{"*.a.com", "10.0.0.0/8", "a.com:443", "b.com"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, v, _ := tab.Lookup("x.a.com", 1); v != 1 {
		t.Errorf("original changed by clone: got %d, want 1", v)
	}
	if _, _, ok := tab.Lookup("c.com", 1); ok {
		t.Error("original sees the clone's new pattern")
	}
	if _, v, _ := clone.Lookup("x.a.com", 1); v != 7 || clone.Len() != 4 {
		t.Errorf("clone: got %d, Len %d, want 7, 4", v, clone.Len())
	}
	if (&Table[int]{}).Clone().Len() != 0 {
		t.Error("clone of an empty table is not empty")
	}
}

// TestTableIndexClones checks the glob index behind Lookup: globs filed
// by tail and by lead, a clone changed apart from its original.
func TestTableIndexClones(t *testing.T) {
	var tab Table[string]
	for i := range 20 {
		for _, s := range []string{"?-%d.[!x]*.example.org", "*.team%d.example.org", "build%d.ci.*"} {
			p := MustParse(strings.Replace(s, "%d", strconv.Itoa(i), 1))
			tab.Set(p, p.String())
		}
	}
	clone := tab.Clone()
	clone.Delete("?-5.[!x]*.example.org")
	clone.Delete("build7.ci.*")
	tests := []struct {
		tab        *Table[string]
		host, want string
	}{
		{&tab, "a-5.b.example.org", "?-5.[!x]*.example.org"},
		{clone, "a-5.b.example.org", ""},
		{&tab, "x.team5.example.org", "*.team5.example.org"},
		{clone, "x.team5.example.org", "*.team5.example.org"},
		{&tab, "build7.ci.example.io", "build7.ci.*"},
		{clone, "build7.ci.example.io", ""},
	}
	for _, tc := range tests {
		if _, got, _ := tc.tab.Lookup(tc.host, 443); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.host, got, tc.want)
		}
	}
}
