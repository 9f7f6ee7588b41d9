package ca

import (
	"strconv"
	"testing"
)

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{Name: "sandgate sandbox bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLeafMint(b *testing.B) {
	a := newAuthority(b, Options{})
	a.Leaf("warm.example.com") // make the shared leaf key outside the loop
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := a.Leaf("h" + strconv.Itoa(i) + ".example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLeafCached(b *testing.B) {
	a := newAuthority(b, Options{})
	a.Leaf("example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Leaf("example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
