package scrub

import (
	"strings"
	"testing"
)

// FuzzReader streams text through a Reader in reads of varying sizes and
// compares the result with the whole-buffer oracle.
func FuzzReader(f *testing.F) {
	f.Add("token=ghp_secret123;", "ghp_secret123", "", "", uint8(3), uint8(1))
	f.Add("abcdefghijklmnop!", "abcdef", "ijklmn", "efghijklmnop", uint8(1), uint8(2))
	f.Add("xaaaaaaaay aaaaa", "aaaaaa", "aaaaaaa", "", uint8(5), uint8(7))
	f.Add("abcdefgh abcdefxx", "abcdef", "abcdefgh", "bcdefg", uint8(2), uint8(0))
	f.Add("a sk-Secret-42sk-Secret-42 eyJhbGciOiJ", "sk-Secret-42", "eyJhbGciOiJ", "Secret", uint8(4), uint8(3))
	f.Add(strings.Repeat("7", 40)+"ghp_0123456789abcdef", "ghp_0123456789abcdef", "0123456789", "77777777", uint8(9), uint8(1))
	f.Fuzz(func(t *testing.T, text, v1, v2, v3 string, size, buf uint8) {
		values := []string{v1, v2, v3}
		want, n := oracle(text, values)
		r := New(values).Reader(&chunked{text: text, sizes: []int{int(size), int(size)/2 + 1, 1}})
		got, err := readAll(r, int(buf)+1)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || r.Count() != int64(n) {
			t.Fatalf("got %q (%d), want %q (%d)", got, r.Count(), want, n)
		}
		if s, k := New(values).String(text); s != want || k != n {
			t.Fatalf("String: got %q (%d), want %q (%d)", s, k, want, n)
		}
	})
}
