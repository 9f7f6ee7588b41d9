package luastr

import "testing"

// The expected values are what Lua 5.1 returns.

func TestFind(t *testing.T) {
	runCases(t, []evalCase{
		{name: "plain substring", code: `return string.find("hello world", "o w")`, want: `5, 7`},
		{name: "init", code: `return string.find("hello world", "o", 6)`, want: `8, 8`},
		{name: "quantifier", code: `return string.find("hello world", "l+")`, want: `3, 4`},
		{name: "no match", code: `return string.find("hello world", "xyz")`, want: `nil`},
		{name: "empty pattern", code: `return string.find("hello", "")`, want: `1, 0`},
		{name: "init past end clamps", code: `return string.find("hello", "", 10)`, want: `6, 5`},
		{name: "negative init", code: `return string.find("hello", "l", -2)`, want: `4, 4`},
		{name: "very negative init", code: `return string.find("hello", "h", -100)`, want: `1, 1`},
		{name: "zero init", code: `return string.find("hello", "h", 0)`, want: `1, 1`},
		{name: "plain flag", code: `return string.find("a.b", ".", 1, true)`, want: `2, 2`},
		{name: "plain special chars", code: `return string.find("a+b(c", "+b(", 1, true)`, want: `2, 4`},
		{name: "escaped dot", code: `return string.find("a.b", "%.")`, want: `2, 2`},
		{name: "dot", code: `return string.find("a.b", ".")`, want: `1, 1`},
		{name: "captures", code: `return string.find("hello world", "(o)(r)")`, want: `8, 9, "o", "r"`},
		{name: "position captures", code: `return string.find("hello", "()ll()")`, want: `3, 4, 3, 5`},
		{name: "anchor", code: `return string.find("hello", "^h")`, want: `1, 1`},
		{name: "anchor fails", code: `return string.find("hello", "^e")`, want: `nil`},
		{name: "anchor at init", code: `return string.find("hello", "^l", 3)`, want: `3, 3`},
		{name: "end anchor", code: `return string.find("hello", "o$")`, want: `5, 5`},
		{name: "end anchor fails", code: `return string.find("hello!", "o$")`, want: `nil`},
		{name: "dollar in middle is literal", code: `return string.find("a$b", "$b")`, want: `2, 3`},
		{name: "leading spaces", code: `return string.find("  x", "^%s*")`, want: `1, 2`},
		{name: "escaped parens", code: `return string.find("THE (quick) fox", "%((%a+)%)")`, want: `5, 11, "quick"`},
		{name: "balance", code: `return string.find("f(a(b)c)d", "%b()")`, want: `2, 8`},
		{name: "balance unclosed", code: `return string.find("f(a(b", "%b()")`, want: `nil`},
		{name: "frontier", code: `return string.find("THE (quick) fox", "%f[%a]%a+", 5)`, want: `6, 10`},
		{name: "frontier at end", code: `return string.find("foo bar", "%f[%z]")`, want: `8, 7`},
		{name: "star empty", code: `return string.find("hello", "l*")`, want: `1, 0`},
		{name: "lazy", code: `return string.find("aaab", "a-b")`, want: `1, 4`},
		{name: "lazy empty", code: `return string.find("aaa", "a-")`, want: `1, 0`},
		{name: "greedy backtracks", code: `return string.find("a,b,c", "(.*),")`, want: `1, 4, "a,b"`},
		{name: "lazy capture", code: `return string.find("a,b,c", "(.-),")`, want: `1, 2, "a"`},
		{name: "range", code: `return string.find("abc", "[b-c]+")`, want: `2, 3`},
		{name: "negated set", code: `return string.find("abc", "[^a]")`, want: `2, 2`},
		{name: "bracket first in set", code: `return string.find("a]b", "[]]")`, want: `2, 2`},
		{name: "dash last in set", code: `return string.find("a-b", "[%a-]+")`, want: `1, 3`},
		{name: "caret in set", code: `return string.find("x^y", "[%^]")`, want: `2, 2`},
		{name: "class in set", code: `return string.find("ab12", "[%d]+")`, want: `3, 4`},
		{name: "negated class in set", code: `return string.find("12ab", "[^%d]")`, want: `3, 3`},
		{name: "optional present", code: `return string.find("hello", "h?e")`, want: `1, 2`},
		{name: "optional absent", code: `return string.find("ello", "h?e")`, want: `1, 1`},
		{name: "back reference", code: `return string.find("xabcabc", "(abc)%1")`, want: `2, 7, "abc"`},
		{name: "back reference fails", code: `return string.find("ab", "(a)(b)%2")`, want: `nil`},
		{name: "quoted string", code: `return string.find([[say "hi" now]], [[(["'])(.-)%1]])`, want: `5, 8, "\"", "hi"`},
		{name: "zero byte class", code: `return string.find("a\0b", "%z")`, want: `2, 2`},
		{name: "non zero class", code: `return string.find("\0\0ab", "%Z+")`, want: `3, 4`},
		{name: "space class", code: `return string.find("hello world", "%s")`, want: `6, 6`},
		{name: "digits", code: `return string.find("x = 10", "%d+")`, want: `5, 6`},
		{name: "upper", code: `return string.find("ABCdef", "%u+")`, want: `1, 3`},
		{name: "lower", code: `return string.find("ABCdef", "%l+")`, want: `4, 6`},
		{name: "punct", code: `return string.find("a,b", "%p")`, want: `2, 2`},
		{name: "control", code: `return string.find("a\t\nb", "%c+")`, want: `2, 3`},
		{name: "hex", code: `return string.find("0x1Fz", "%x+", 3)`, want: `3, 4`},
		{name: "non word", code: `return string.find("hello", "%W")`, want: `nil`},
		{name: "non letter", code: `return string.find("hello world", "%A")`, want: `6, 6`},
		{name: "non digit", code: `return string.find("123a", "%D")`, want: `4, 4`},
		{name: "non space", code: `return string.find("  x", "%S")`, want: `3, 3`},
		{name: "high bytes in no class", code: `return string.find("\200a", "%a")`, want: `2, 2`},
		{name: "dot needs a char", code: `return string.find("abc", ".", 4)`, want: `nil`},
		{name: "empty subject", code: `return string.find("", "")`, want: `1, 0`},
		{name: "empty subject no match", code: `return string.find("", "x")`, want: `nil`},
		{name: "numbers coerced", code: `return string.find(12345, 34)`, want: `3, 4`},
		{name: "method call", code: `return ("hello"):find("l")`, want: `3, 3`},
	})
}

func TestMatch(t *testing.T) {
	runCases(t, []evalCase{
		{name: "word", code: `return string.match("hello world", "%w+")`, want: `"hello"`},
		{name: "two captures", code: `return string.match("key=value", "(%w+)=(%w+)")`, want: `"key", "value"`},
		{name: "position captures", code: `return string.match("hello", "()ll()")`, want: `3, 5`},
		{name: "no match", code: `return string.match("hello", "xyz")`, want: `nil`},
		{name: "trim", code: `return string.match("  trim me  ", "^%s*(.-)%s*$")`, want: `"trim me"`},
		{name: "date", code: `return string.match("2024-01-15", "(%d+)-(%d+)-(%d+)")`, want: `"2024", "01", "15"`},
		{name: "lazy empty", code: `return string.match("hello", ".-")`, want: `""`},
		{name: "negative init", code: `return string.match("hello", ".", -2)`, want: `"l"`},
		{name: "balanced inside", code: `return string.match("[[x]]", "%[(%b[])%]")`, want: `"[x]"`},
		{name: "frontier word at end", code: `return string.match("THE (quick) fox", "%f[%a]%a+$")`, want: `"fox"`},
		{name: "nested captures", code: `return string.match("abc", "((a)(b))")`, want: `"ab", "a", "b"`},
		{name: "empty capture", code: `return string.match("abc", "()(x*)")`, want: `1, ""`},
		{name: "whole anchored", code: `return string.match("aaa", "^(a*)$")`, want: `"aaa"`},
		{name: "anchored mismatch", code: `return string.match("baaa", "^a")`, want: `nil`},
		{name: "header value", code: `return ("Bearer abc.def"):match("^Bearer%s+(.+)$")`, want: `"abc.def"`},
		{name: "host port", code: `return ("example.com:8443"):match("^([^:]+):?(%d*)$")`, want: `"example.com", "8443"`},
		{name: "frontier between words", code: `return ("THE (quick) fox"):match("%f[%a](%a+)%f[%A]")`, want: `"THE"`},
	})
}

func TestGsub(t *testing.T) {
	runCases(t, []evalCase{
		{name: "capture template", code: `return string.gsub("hello world", "(%w+)", "<%1>")`, want: `"<hello> <world>", 2`},
		{name: "plain replace", code: `return string.gsub("hello world", "o", "0")`, want: `"hell0 w0rld", 2`},
		{name: "max replacements", code: `return string.gsub("hello world", "o", "0", 1)`, want: `"hell0 world", 1`},
		{name: "zero replacements", code: `return string.gsub("hello", "l", "L", 0)`, want: `"hello", 0`},
		{name: "empty pattern", code: `return string.gsub("hello", "", "-")`, want: `"-h-e-l-l-o-", 6`},
		{name: "empty matches 5.1", code: `return string.gsub("abc", "b*", "-")`, want: `"-a--c-", 4`},
		{name: "star word 5.1", code: `return string.gsub("hello world", "%w*", "x")`, want: `"xx xx", 4`},
		{name: "whole match", code: `return string.gsub("abc", "%w", "%0%0")`, want: `"aabbcc", 3`},
		{name: "percent escape", code: `return string.gsub("abc", "%w", "%%")`, want: `"%%%", 3`},
		{name: "trailing percent kept", code: `return string.gsub("x", "x", "100%")`, want: `"100%", 1`},
		{name: "percent other char", code: `return string.gsub("x", "x", "%a")`, want: `"a", 1`},
		{name: "first only", code: `return string.gsub("hello world", "%w+", "%0 %0", 1)`, want: `"hello hello world", 1`},
		{name: "table", code: `return string.gsub("$name is $age", "%$(%w+)", {name = "bob", age = 42})`, want: `"bob is 42", 2`},
		{name: "table missing key", code: `return string.gsub("$name $x", "%$(%w+)", {name = "bob"})`, want: `"bob $x", 2`},
		{name: "table whole match", code: `return string.gsub("abc", ".", {a = 1, b = 2})`, want: `"12c", 3`},
		{name: "function", code: `return string.gsub("hello world", "%w+", function(w) return w:upper() end)`, want: `"HELLO WORLD", 2`},
		{name: "function false keeps", code: `return string.gsub("abc", "%w", function(c) if c == "b" then return false end return "x" end)`, want: `"xbx", 3`},
		{name: "function nil keeps", code: `return string.gsub("hello", "l+", function() end)`, want: `"hello", 1`},
		{name: "function captures", code: `return string.gsub("a=1, b=2", "(%w+)=(%w+)", function(k, v) return v .. "=" .. k end)`, want: `"1=a, 2=b", 2`},
		{name: "anchored", code: `return string.gsub("aaa", "^a", "x")`, want: `"xaa", 1`},
		{name: "anchored no match", code: `return string.gsub("baa", "^a", "x")`, want: `"baa", 0`},
		{name: "swap captures", code: `return string.gsub("hello", "(l)(l)", "%2%1")`, want: `"hello", 1`},
		{name: "percent one without captures", code: `return string.gsub("abc", "b", "[%1]")`, want: `"a[b]c", 1`},
		{name: "position capture template", code: `return string.gsub("abc", "()", "%1")`, want: `"1a2b3c4", 4`},
		{name: "strip spaces", code: `return string.gsub(" a b ", "%s+", "")`, want: `"ab", 3`},
		{name: "balanced removal", code: `return string.gsub("f(a(b)c)d", "%b()", "")`, want: `"fd", 1`},
		{name: "frontier words", code: `return string.gsub("THE (quick) fox", "%f[%a]%a+", "W")`, want: `"W (W) W", 3`},
		{name: "number replacement", code: `return string.gsub("abc", "b", 7)`, want: `"a7c", 1`},
		{name: "method call", code: `return ("a,b"):gsub(",", ";")`, want: `"a;b", 1`},
		{name: "invalid capture index", code: `return string.gsub("abc", "(b)", "%2")`, want: `invalid capture index`, err: true},
		{name: "bad replacement value", code: `return string.gsub("abc", "b", {b = true})`, want: `invalid replacement value (a boolean)`, err: true},
		{name: "bad replacement type", code: `return string.gsub("abc", "b", true)`, want: `string/function/table expected`, err: true},
	})
}

func TestGmatch(t *testing.T) {
	const collect = `
local function G(s, p)
  local out = {}
  for a, b in string.gmatch(s, p) do
    if b ~= nil then out[#out + 1] = tostring(a) .. "=" .. tostring(b) else out[#out + 1] = tostring(a) end
  end
  return table.concat(out, "|")
end
`
	runCases(t, []evalCase{
		{name: "words", code: collect + `return G("hello world from lua", "%a+")`, want: `"hello|world|from|lua"`},
		{name: "pairs", code: collect + `return G("k1=v1, k2=v2", "(%w+)=(%w+)")`, want: `"k1=v1|k2=v2"`},
		{name: "empty pattern", code: collect + `return G("abc", "")`, want: `"|||"`},
		{name: "star 5.1", code: collect + `return G("abc", "%a*")`, want: `"abc|"`},
		{name: "caret is literal", code: collect + `return G("^a^a", "^a")`, want: `"^a|^a"`},
		{name: "position captures", code: collect + `return G("hello", "()l")`, want: `"3|4"`},
		{name: "no match", code: collect + `return G("abc", "%d")`, want: `""`},
		{name: "iterator called again after end", code: `local it = ("ab"):gmatch("%a") it() it() return it() == nil, it() == nil`, want: `true, true`},
		{name: "gfind alias", code: `local n = 0 for w in string.gfind("a b c", "%a") do n = n + 1 end return n`, want: `3`},
	})
}

func TestPatternErrors(t *testing.T) {
	runCases(t, []evalCase{
		{name: "ends with percent", code: `return string.find("a", "%")`, want: `malformed pattern (ends with '%')`, err: true},
		{name: "missing bracket", code: `return string.find("a", "[a")`, want: `malformed pattern (missing ']')`, err: true},
		{name: "empty set", code: `return string.find("a", "[]")`, want: `malformed pattern (missing ']')`, err: true},
		{name: "unfinished capture", code: `return string.match("a", "(a")`, want: `unfinished capture`, err: true},
		{name: "invalid pattern capture", code: `return string.match("a", "a)")`, want: `invalid pattern capture`, err: true},
		{name: "back reference to nothing", code: `return string.find("a", "%1")`, want: `invalid capture index`, err: true},
		{name: "back reference to open capture", code: `return string.find("aa", "(a%1)")`, want: `invalid capture index`, err: true},
		{name: "frontier without set", code: `return string.find("a", "%fa")`, want: `missing '[' after '%f' in pattern`, err: true},
		{name: "balance without arguments", code: `return string.find("a", "%b(")`, want: `missing arguments to '%b'`, err: true},
		{name: "too many captures", code: `return string.match(string.rep("a", 40), string.rep("(a)", 33))`, want: `too many captures`, err: true},
		{name: "32 captures are fine", code: `return select("#", string.match(string.rep("a", 40), string.rep("(a)", 32)))`, want: `32`},
		{name: "too complex", code: `return string.find(string.rep("a", 300), string.rep("a?", 300))`, want: `pattern too complex`, err: true},
		{name: "error has position", code: "\n\nreturn string.find('a', '%')", want: `test:3: malformed pattern`, err: true},
	})
}
