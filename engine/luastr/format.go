package luastr

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// spec is one conversion of a format string: %[flags][width][.prec]conv.
type spec struct {
	flags string
	width int
	prec  int // -1 when absent
	conv  byte
	raw   string // flags, width and precision as written
}

// format is string.format with Lua 5.1's rules: at most five flags, width
// and precision of at most two digits, conversions cdiouxXeEfgGqs. Unlike
// gopher-lua's, it formats like C's printf (%g precision 6, %x of a negative
// number in two's complement, %s counting bytes), and the result is checked
// against the cap as it grows. %s accepts any value, as tostring would.
func (lim *limits) format(L *lua.LState) int {
	f := L.CheckString(1)
	out := &capped{lim: lim, L: L}
	arg := 1
	for i := 0; i < len(f); {
		j := strings.IndexByte(f[i:], '%')
		if j < 0 {
			out.add(f[i:])
			break
		}
		out.add(f[i : i+j])
		i += j + 1
		if i < len(f) && f[i] == '%' {
			out.add("%")
			i++
			continue
		}
		arg++
		sp, next := scanSpec(L, f, i)
		formatOne(L, out, sp, arg)
		i = next
	}
	L.Push(lua.LString(out.b.String()))
	return 1
}

// scanSpec reads the conversion starting at f[i], just after its '%'.
func scanSpec(L *lua.LState, f string, i int) (spec, int) {
	start := i
	for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
		i++
	}
	if i-start > 5 {
		raise(L, "invalid format (repeated flags)")
	}
	sp := spec{flags: f[start:i], prec: -1}
	sp.width, i = twoDigits(f, i)
	if i < len(f) && f[i] == '.' {
		sp.prec, i = twoDigits(f, i+1)
	}
	if i < len(f) && isDigit(f[i]) {
		raise(L, "invalid format (width or precision too long)")
	}
	if i >= len(f) {
		L.RaiseError("invalid option '%%%s' to 'format'", f[start:])
	}
	sp.conv, sp.raw = f[i], f[start:i]
	return sp, i + 1
}

// twoDigits reads up to two decimal digits at f[i] (none reads as 0).
func twoDigits(f string, i int) (int, int) {
	n := 0
	for k := 0; k < 2 && i < len(f) && isDigit(f[i]); k++ {
		n = n*10 + int(f[i]-'0')
		i++
	}
	return n, i
}

// formatOne appends conversion sp of argument arg.
func formatOne(L *lua.LState, out *capped, sp spec, arg int) {
	if arg > L.GetTop() {
		L.ArgError(arg, "no value")
	}
	switch sp.conv {
	case 'c':
		out.add(pad(sp, string([]byte{byte(toInt(L.CheckNumber(arg)))}), false))
	case 'd', 'i':
		out.add(fmt.Sprintf("%"+sp.raw+"d", toInt64(L.CheckNumber(arg))))
	case 'o', 'u', 'x', 'X':
		verb := string(sp.conv)
		if sp.conv == 'u' {
			verb = "d"
		}
		out.add(fmt.Sprintf("%"+sp.raw+verb, uint64(toInt64(L.CheckNumber(arg)))))
	case 'e', 'E', 'f', 'g', 'G':
		out.add(formatFloat(sp, float64(L.CheckNumber(arg))))
	case 'q':
		s := L.CheckString(arg)
		out.lim.check(L, out.b.Len()+quotedLen(s))
		out.add(quote(s))
	case 's':
		formatString(L, out, sp, arg)
	default:
		L.RaiseError("invalid option '%%%s' to 'format'", sp.raw+string(sp.conv))
	}
}

// formatString is %s: a string of 100 bytes or more without a precision is
// added as it is (no width can exceed 99), as in Lua 5.1.
func formatString(L *lua.LState, out *capped, sp spec, arg int) {
	v := L.Get(arg)
	s, ok := stringOf(v)
	if !ok {
		s = L.ToStringMeta(v).String()
	}
	if sp.prec < 0 && len(s) >= 100 {
		out.add(s)
		return
	}
	out.add(pad(sp, s, true))
}

// formatFloat is %e %E %f %g %G as C prints them, inf and nan included.
func formatFloat(sp spec, x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return pad(spec{flags: sp.flags, width: sp.width, prec: -1}, nonFinite(sp, x), false)
	}
	raw := sp.raw
	if (sp.conv == 'g' || sp.conv == 'G') && sp.prec < 0 {
		raw += ".6" // C's default; Go's would be the shortest exact form
	}
	return fmt.Sprintf("%"+raw+string(sp.conv), x)
}

func nonFinite(sp spec, x float64) string {
	s := "inf"
	switch {
	case math.IsNaN(x):
		s = "nan"
	case x < 0:
		s = "-inf"
	}
	if s[0] != '-' && strings.Contains(sp.flags, "+") {
		s = "+" + s
	} else if s[0] != '-' && strings.Contains(sp.flags, " ") {
		s = " " + s
	}
	if sp.conv == 'E' || sp.conv == 'G' {
		s = strings.ToUpper(s)
	}
	return s
}

// pad applies sp's width (and, if truncate, its precision) in bytes.
func pad(sp spec, s string, truncate bool) string {
	if truncate && sp.prec >= 0 && len(s) > sp.prec {
		s = s[:sp.prec]
	}
	if len(s) >= sp.width {
		return s
	}
	fill := strings.Repeat(" ", sp.width-len(s))
	if strings.Contains(sp.flags, "-") {
		return s + fill
	}
	return fill + s
}

// toInt64 converts like C's (long) cast on 64-bit hosts, saturating instead
// of leaving out-of-range values undefined.
func toInt64(n lua.LNumber) int64 {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// quote is %q: a Lua string literal that reads back as s (Lua 5.1's form).
func quote(s string) string {
	b := make([]byte, 0, quotedLen(s))
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b = append(b, '\\', c)
		case '\r':
			b = append(b, '\\', 'r')
		case 0:
			b = append(b, '\\', '0', '0', '0')
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

func quotedLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\\', '\n', '\r':
			n++
		case 0:
			n += 3
		}
	}
	return n
}
