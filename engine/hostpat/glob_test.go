package hostpat

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{pattern: "api-?.example.com", host: "api-1.example.com", want: true},
		{pattern: "api-?.example.com", host: "api-12.example.com"},
		{pattern: "api-?.example.com", host: "api-.example.com"},
		{pattern: "?", host: "a", want: true},
		{pattern: "?.com", host: "a.b.com"},
		{pattern: "??.com", host: "a.b.com"},
		{pattern: "???.com", host: "a.b.com", want: true},
		{pattern: "[abc].example.com", host: "b.example.com", want: true},
		{pattern: "[abc].example.com", host: "d.example.com"},
		{pattern: "node[0-9].example.com", host: "node7.example.com", want: true},
		{pattern: "node[0-9].example.com", host: "nodex.example.com"},
		{pattern: "node[!0-9].example.com", host: "nodex.example.com", want: true},
		{pattern: "node[!0-9].example.com", host: "node7.example.com"},
		{pattern: "[!a]", host: "b", want: true},
		{pattern: "{api,uploads}.github.com", host: "api.github.com", want: true},
		{pattern: "{api,uploads}.github.com", host: "uploads.github.com", want: true},
		{pattern: "{api,uploads}.github.com", host: "www.github.com"},
		{pattern: "{api,uploads}.github.com", host: "github.com"},
		{pattern: "{,www.}example.com", host: "example.com", want: true},
		{pattern: "{,www.}example.com", host: "www.example.com", want: true},
		{pattern: "{,www.}example.com", host: "api.example.com"},
		{pattern: "{a,{b,c}}.com", host: "c.com", want: true},
		{pattern: "{*.s3,s3}.amazonaws.com", host: "bucket.s3.amazonaws.com", want: true},
		{pattern: "{*.s3,s3}.amazonaws.com", host: "s3.amazonaws.com", want: true},
		{pattern: "{*.s3,s3}.amazonaws.com", host: "ec2.amazonaws.com"},
		{pattern: `example\.com`, host: "example.com", want: true},
		{pattern: `example\.com`, host: "examplexcom"},
		{pattern: "example.com", host: "examplexcom"},
		// Case does not matter, in sets and ranges too.
		{pattern: "[A-C]PI.Example.COM", host: "BPI.example.com", want: true},
		{pattern: "[!A-Z]pi.example.com", host: "api.example.com"},
		{pattern: "[!A-Z]pi.example.com", host: "1pi.example.com", want: true},
		// Answers gobwas/glob v0.2.3 gets wrong on its own.
		{pattern: "c*c", host: "c"},
		{pattern: "ab*ba", host: "aba"},
		{pattern: "ab*ba", host: "abba", want: true},
		{pattern: "c{a*,b}", host: "cabc", want: true},
		{pattern: "{a*,b}.", host: "a.....", want: true},
		{pattern: "{a*,b}a", host: "acca", want: true},
		{pattern: "{a.b,*b}[!a][!a]", host: "bcbcb", want: true},
		{pattern: "*{,a}", host: "x", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.host, func(t *testing.T) {
			if got := MustParse(tc.pattern).Match(tc.host, 443); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGlobCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "{API,Uploads}.GitHub.com", want: "{api,uploads}.github.com"},
		{in: "a**b", want: "a*b"},
		{in: "[!A-Z]x.com", want: "[!a-z]x.com"},
		{in: "[ABC]x.com:0443", want: "[abc]x.com:443"},
		{in: "node?.example.com.", want: "node?.example.com"},
		{in: "{a,{b,c}}.com", want: "{a,{b,c}}.com"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p := MustParse(tc.in)
			if got := p.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if got := MustParse(p.String()).String(); got != tc.want {
				t.Errorf("reparsed: got %q, want %q", got, tc.want)
			}
			if !p.IsGlob() {
				t.Errorf("IsGlob: got false, want true")
			}
		})
	}
}

func TestEscapedName(t *testing.T) {
	p := MustParse(`Example\.com`)
	if p.String() != "example.com" || p.IsGlob() {
		t.Errorf("got %q (glob %v), want %q as a name", p, p.IsGlob(), "example.com")
	}
	if _, err := Parse(`\1\0.0.0.1`); err != nil {
		t.Errorf("an escaped IP address: %v", err)
	}
}

func TestGlobParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "{api,uploads.github.com", want: `hostpat: "{api,uploads.github.com": missing '}'`},
		{in: "api}.github.com", want: `hostpat: "api}.github.com": invalid character '}'`},
		{in: "a,b.com", want: `hostpat: "a,b.com": invalid character ','`},
		{in: "[abc.github.com", want: `hostpat: "[abc.github.com": missing ']'`},
		{in: "[z-a].com", want: `hostpat: "[z-a].com": bad glob: hi character 'a' should be greater than lo 'z'`},
		{in: "[].com", want: `hostpat: "[].com": bad glob: could not parse range`},
		{in: "[a-cx].com", want: `hostpat: "[a-cx].com": bad glob: expected close range character`},
		{in: `a\*b.com`, want: `hostpat: "a\\*b.com": invalid character '*'`},
		{in: "[@].com", want: `hostpat: "[@].com": invalid character '@'`},
		{in: "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", want: `hostpat: "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}": more than 64 alternatives once every {...} is expanded`},
		{in: "^a.com", want: `hostpat: "^a.com": invalid character '^'`},
		{in: `a.com\`, want: `hostpat: "a.com\\": '\' at the end escapes nothing`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGlobWeights checks the ranking of Table.Lookup: literal
// characters weigh, wildcards and sets do not, a {...} group weighs as its
// lightest alternative, ties go to byte order.
func TestGlobWeights(t *testing.T) {
	order := []string{ // most specific first, for host api.github.com
		"{api,uploads}.github.com", // 3 + 11
		"[a-z]pi.github.com",       // 2 + 11, and '[' sorts before 'a'
		"a?i.github.com",           // 2 + 11
		"{a,uploads}*.github.com",  // 1 + 11: the lightest alternative counts
		"*.github.com",             // 11, and '*' sorts before 'a'
		"api.github.*",             // 11
		"*",
	}
	permutations(slices.Clone(order), func(ins []string) {
		tab := &Table[string]{}
		for _, s := range ins {
			tab.Set(MustParse(s), s)
		}
		for _, want := range order {
			if _, got, ok := tab.Lookup("api.github.com", 443); !ok || got != want {
				t.Fatalf("inserted %q: got %q, want %q", ins, got, want)
			}
			tab.Delete(want)
		}
	})
}

// TestGlobAgainstRegexp matches random globs and hosts both ways: with
// Pattern.Match and with a regular expression translated from the same
// text by globRegexp, which shares no code with gobwas/glob.
func TestGlobAgainstRegexp(t *testing.T) {
	atoms := []string{"a", "b", ".", "ab", "*", "?", "[ab]", "[!a]", "[a-c]", "{a,b}", "{a*,b}", "{,a}", "{a.b,*b}", "c", "{ab,a?}"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var pb strings.Builder
		for range 1 + r.IntN(5) {
			pb.WriteString(atoms[r.IntN(len(atoms))])
		}
		text := pb.String()
		p, err := Parse(text)
		if err != nil {
			continue // "a..b" and the like
		}
		re := regexp.MustCompile(globRegexp(p.String()))
		for range 10 {
			host := randomHost(r)
			if got, want := p.Match(host, 443), re.MatchString(Normalize(host)); got != want {
				t.Fatalf("%q.Match(%q): got %v, want %v (regexp %s)", text, host, got, want, re)
			}
		}
	}
}

func randomHost(r *rand.Rand) string {
	var b strings.Builder
	for range 1 + r.IntN(7) {
		b.WriteByte("ab.c"[r.IntN(4)])
	}
	return b.String()
}

// globRegexp translates glob text to an anchored regular
// expression: the reference the tests hold the matcher to. Patterns and
// hosts are compared lowercase, as Match sees them.
func globRegexp(glob string) string {
	var b strings.Builder
	b.WriteString("^(?s:")
	depth := 0
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; {
		case c == '\\' && i+1 < len(glob):
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case c == '*':
			b.WriteString(".*")
		case c == '?':
			b.WriteString(".")
		case c == '[':
			end := strings.IndexByte(glob[i:], ']') + i
			b.WriteString("[" + regexpSet(glob[i+1:end]) + "]")
			i = end
		case c == '{':
			depth++
			b.WriteString("(?:")
		case c == ',' && depth > 0:
			b.WriteString("|")
		case c == '}' && depth > 0:
			depth--
			b.WriteString(")")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(")$")
	return b.String()
}

// regexpSet translates the inside of a glob set to the inside of a regexp
// class: one range ("a-c", "!a-c") or a list of characters ("\\0.", "01-0").
func regexpSet(set string) string {
	var b strings.Builder
	if strings.HasPrefix(set, "!") {
		b.WriteByte('^')
		set = set[1:]
	}
	if len(set) == 3 && set[1] == '-' && set[0] != '\\' {
		return b.String() + regexp.QuoteMeta(set[:1]) + "-" + regexp.QuoteMeta(set[2:])
	}
	for i := 0; i < len(set); i++ { // a list: every character stands for itself
		c := set[i]
		if c == '\\' && i+1 < len(set) {
			i++
			c = set[i]
		}
		b.WriteString(`\x{` + strconv.FormatInt(int64(c), 16) + "}")
	}
	return b.String()
}
