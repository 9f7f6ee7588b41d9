package hostpat

import (
	"errors"
	"slices"
	"testing"
)

func TestParseListError(t *testing.T) {
	_, err := ParseList([]string{"example.com", "*.ok.com", "exa mple.com"})
	want := `hostpat: index 2: "exa mple.com": invalid character ' '`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Index != 2 {
		t.Errorf("got %#v, want a *ParseError at index 2", err)
	}
}

func TestListMatchAndStrings(t *testing.T) {
	l := MustParseList(t, "GitHub.com", "*.github.com", "registry.npmjs.org:443")
	tests := []struct {
		host string
		port int
		want bool
	}{
		{host: "github.com", port: 443, want: true},
		{host: "api.github.com", port: 443, want: true},
		{host: "registry.npmjs.org", port: 443, want: true},
		{host: "registry.npmjs.org", port: 80},
		{host: "gitlab.com", port: 443},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if got := l.Match(tc.host, tc.port); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	want := []string{"github.com", "*.github.com", "registry.npmjs.org:443"}
	if got := l.Strings(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if (List(nil)).Match("github.com", 443) {
		t.Error("nil List matched")
	}
}

func TestMatchAny(t *testing.T) {
	ok, err := MatchAny([]string{"*.example.com", "10.0.0.0/8"}, "10.9.9.9", 80)
	if err != nil || !ok {
		t.Errorf("got %v, %v, want true, nil", ok, err)
	}
	ok, err = MatchAny([]string{"*", "bad pattern"}, "x.com", 80)
	if err == nil || ok {
		t.Errorf("got %v, %v, want false and an error for the bad pattern", ok, err)
	}
}
