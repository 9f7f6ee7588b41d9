package secrets

import (
	"fmt"
	"sync"
	"testing"
)

func TestRedactor(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		in     string
		want   string
	}{
		{name: "none", values: nil, in: "hello", want: "hello"},
		{name: "one", values: []string{"ghp_abc123"}, in: "token=ghp_abc123 ok", want: "token=[redacted] ok"},
		{name: "every occurrence", values: []string{"s3cr3t"}, in: "s3cr3t s3cr3ts3cr3t", want: "[redacted] [redacted]"},
		{name: "longest wins", values: []string{"abcd", "abcdefgh"}, in: "x abcdefgh y abcd", want: "x [redacted] y [redacted]"},
		{name: "order does not matter", values: []string{"abcdefgh", "abcd"}, in: "x abcdefgh y abcd", want: "x [redacted] y [redacted]"},
		{name: "overlap merges", values: []string{"abcd", "cdef"}, in: "-abcdef-", want: "-[redacted]-"},
		{name: "self overlap", values: []string{"aaaa"}, in: "aaaaaa", want: "[redacted]"},
		{name: "short ignored", values: []string{"", "1", "yes"}, in: "1 yes", want: "1 yes"},
		{name: "min length", values: []string{"true"}, in: "is true", want: "is [redacted]"},
		{name: "go quoted", values: []string{"pa\"ss\nword"}, in: fmt.Sprintf("got %q", "pa\"ss\nword"), want: `got "[redacted]"`},
		{name: "json escaped", values: []string{"<tok&en>"}, in: `{"v":"\u003ctok\u0026en\u003e"}`, want: `{"v":"[redacted]"}`},
		{name: "unicode", values: []string{"clé-secrète"}, in: "k=clé-secrète;", want: "k=[redacted];"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewRedactor(tc.values...).Redact(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedactorZeroAndNil(t *testing.T) {
	var zero Redactor
	if got := zero.Redact("abcd"); got != "abcd" {
		t.Errorf("zero: got %q, want %q", got, "abcd")
	}
	var nilR *Redactor
	if got := nilR.Redact("abcd"); got != "abcd" {
		t.Errorf("nil: got %q, want %q", got, "abcd")
	}
	zero.AddFields(map[string]string{"token": "tok-1234", "flag": "1"})
	if got, want := zero.Redact("tok-1234 1"), "[redacted] 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := NewRedactor()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			v := fmt.Sprintf("value-%d", i)
			r.Add(v)
			if got := r.Redact("x " + v); got != "x [redacted]" {
				t.Errorf("got %q, want %q", got, "x [redacted]")
			}
		})
	}
	wg.Wait()
}
