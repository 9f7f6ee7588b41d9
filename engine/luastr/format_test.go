package luastr

import "testing"

func TestFormat(t *testing.T) {
	runCases(t, []evalCase{
		{name: "integer", code: `return string.format("%d", 42)`, want: `"42"`},
		{name: "widths and flags", code: `return string.format("%5d|%-5d|%05d|%+d|% d", 1, 2, 3, 4, 5)`, want: `"    1|2    |00003|+4| 5"`},
		{name: "precision on integer", code: `return string.format("%.3d", 7)`, want: `"007"`},
		{name: "i and u", code: `return string.format("%i %u", -5, 5)`, want: `"-5 5"`},
		{name: "truncates", code: `return string.format("%d", 3.7)`, want: `"3"`},
		{name: "numeric string", code: `return string.format("%d", "12")`, want: `"12"`},
		{name: "hex and octal", code: `return string.format("%x %X %o %#x", 255, 255, 8, 255)`, want: `"ff FF 10 0xff"`},
		{name: "negative hex", code: `return string.format("%x", -1)`, want: `"ffffffffffffffff"`},
		{name: "fixed", code: `return string.format("%5.2f|%f|%.0f", 3.14159, 1.5, 2.5)`, want: `" 3.14|1.500000|2"`},
		{name: "exponent", code: `return string.format("%e|%.2E", 12345.678, 0.000123)`, want: `"1.234568e+04|1.23E-04"`},
		{name: "g like C", code: `return string.format("%g|%g|%g|%g|%g", 1234567, 0.1, 100000, 1e20, 1e-5)`, want: `"1.23457e+06|0.1|100000|1e+20|1e-05"`},
		{name: "g precision", code: `return string.format("%.3g|%G", 3.14159, 1e-10)`, want: `"3.14|1E-10"`},
		{name: "infinity", code: `local inf = 1/0 return string.format("%f|%5.1f|%e|%G|%+f", inf, -inf, inf, inf, inf)`, want: `"inf| -inf|inf|INF|+inf"`},
		{name: "nan", code: `return string.format("%f", 0/0):gsub("-", "")`, want: `"nan", 0`},
		{name: "strings", code: `return string.format("%s %s|%10s|%-10s|%.2s|%5.1s", "a", 1, "hi", "hi", "hello", "abc")`, want: `"a 1|        hi|hi        |he|    a"`},
		{name: "long string kept whole", code: `return #string.format("%5s", string.rep("x", 150))`, want: `150`},
		{name: "long string precision", code: `return string.format("%.3s", string.rep("x", 150))`, want: `"xxx"`},
		{name: "s takes any value", code: `return string.format("%s %s %s", nil, true, setmetatable({}, {__tostring = function() return "T" end}))`, want: `"nil true T"`},
		{name: "chars", code: `return string.format("%c%c%3c", 72, 105, 33)`, want: `"Hi  !"`},
		{name: "quoted", code: `return string.format("%q", 'a "b"\n\0\r\\')`, want: `"\"a \\\"b\\\"\\\n\\000\\r\\\\\""`},
		{name: "quoted number", code: `return string.format("%q", 12)`, want: `"\"12\""`},
		{name: "percent", code: `return string.format("100%% of %d", 5)`, want: `"100% of 5"`},
		{name: "no conversions", code: `return string.format("plain")`, want: `"plain"`},
		{name: "width 99 is allowed", code: `return #string.format("%99d", 1)`, want: `99`},
		{name: "extra arguments ignored", code: `return string.format("%d", 1, 2, 3)`, want: `"1"`},
		{name: "width too long", code: `return string.format("%100d", 1)`, want: `invalid format (width or precision too long)`, err: true},
		{name: "precision too long", code: `return string.format("%.100f", 1)`, want: `invalid format (width or precision too long)`, err: true},
		{name: "repeated flags", code: `return string.format("%------d", 1)`, want: `invalid format (repeated flags)`, err: true},
		{name: "bad option", code: `return string.format("%y", 1)`, want: `invalid option '%y' to 'format'`, err: true},
		{name: "trailing percent", code: `return string.format("50%")`, want: `invalid option '%' to 'format'`, err: true},
		{name: "missing argument", code: `return string.format("%d %d", 1)`, want: `bad argument #3`, err: true},
		{name: "missing s argument", code: `return string.format("%s")`, want: `no value`, err: true},
		{name: "not a number", code: `return string.format("%d", "x")`, want: `number expected`, err: true},
	})
}
