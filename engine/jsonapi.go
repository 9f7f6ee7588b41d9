package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// maxJSONDepth bounds json.encode's recursion; it also stops cycles.
const maxJSONDepth = 100

var errJSONTooLong = errors.New("result longer than the string limit")

// jsonEncode is json.encode(value). A table whose keys are exactly 1..n is
// an array; any other non-empty table is an object (string or number keys,
// sorted); an empty table is {}. json.null and nil encode as null.
func (v *vm) jsonEncode(L *lua.LState) int {
	var buf bytes.Buffer
	if err := v.encode(&buf, L.CheckAny(1), 0); err != nil {
		L.RaiseError("json.encode: %v", err)
	}
	L.Push(lua.LString(buf.String()))
	return 1
}

// jsonDecode is json.decode(string); null decodes to json.null.
func (v *vm) jsonDecode(L *lua.LState) int {
	var x any
	if err := json.Unmarshal([]byte(L.CheckString(1)), &x); err != nil {
		L.RaiseError("json.decode: %v", err)
	}
	L.Push(v.toLua(x, false))
	return 1
}

func (v *vm) encode(buf *bytes.Buffer, lv lua.LValue, depth int) error {
	if buf.Len() > v.cfg.maxString {
		return errJSONTooLong
	}
	switch x := lv.(type) {
	case *lua.LNilType:
		buf.WriteString("null")
	case lua.LBool:
		buf.WriteString(strconv.FormatBool(bool(x)))
	case lua.LNumber:
		return encodeNumber(buf, float64(x))
	case lua.LString:
		encodeString(buf, string(x))
	case *lua.LUserData:
		if x != v.null {
			return errors.New("cannot encode userdata")
		}
		buf.WriteString("null")
	case *lua.LTable:
		if depth >= maxJSONDepth {
			return fmt.Errorf("nested deeper than %d (a cycle?)", maxJSONDepth)
		}
		if target := frozenTarget(x); target != nil {
			x = target
		}
		return v.encodeTable(buf, x, depth+1)
	default:
		return fmt.Errorf("cannot encode %s", lv.Type())
	}
	if buf.Len() > v.cfg.maxString {
		return errJSONTooLong
	}
	return nil
}

func (v *vm) encodeTable(buf *bytes.Buffer, t *lua.LTable, depth int) error {
	n, maxIndex, isArray := 0, 0, true
	t.ForEach(func(k, _ lua.LValue) {
		n++
		if i, ok := k.(lua.LNumber); ok && i >= 1 && i <= math.MaxInt32 && float64(i) == math.Trunc(float64(i)) {
			maxIndex = max(maxIndex, int(i))
		} else {
			isArray = false
		}
	})
	switch {
	case n == 0:
		buf.WriteString("{}")
		return nil
	case isArray && maxIndex == n:
		buf.WriteByte('[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				buf.WriteByte(',')
			}
			if err := v.encode(buf, t.RawGetInt(i), depth); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	type member struct {
		key string
		val lua.LValue
	}
	members := make([]member, 0, n)
	var keyErr error
	t.ForEach(func(k, val lua.LValue) {
		switch k := k.(type) {
		case lua.LString, lua.LNumber:
			members = append(members, member{k.String(), val})
		default:
			keyErr = fmt.Errorf("cannot encode a %s key", k.Type())
		}
	})
	if keyErr != nil {
		return keyErr
	}
	sort.Slice(members, func(i, j int) bool { return members[i].key < members[j].key })
	buf.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		encodeString(buf, m.key)
		buf.WriteByte(':')
		if err := v.encode(buf, m.val, depth); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func encodeNumber(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("cannot encode %v", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		buf.WriteString(strconv.FormatInt(int64(f), 10))
	} else {
		buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return nil
}

// encodeString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func encodeString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case c == '\n':
				buf.WriteString(`\n`)
			case c == '\r':
				buf.WriteString(`\r`)
			case c == '\t':
				buf.WriteString(`\t`)
			case c < 0x20:
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&0xf])
			default:
				buf.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(`\ufffd`)
		} else {
			buf.WriteString(s[i : i+size])
		}
		i += size
	}
	buf.WriteByte('"')
}
