package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// jsonCall calls a json.* Go function on v's state with one argument.
func jsonCall(v *vm, fn lua.LGFunction, arg lua.LValue) (lua.LValue, error) {
	L := v.L
	top := L.GetTop()
	defer L.SetTop(top)
	L.Push(L.NewFunction(fn))
	L.Push(arg)
	if err := L.PCall(1, 1, nil); err != nil {
		return nil, err
	}
	return L.Get(-1), nil
}

// FuzzJSON decodes arbitrary bytes with json.decode and, when that works,
// checks the round trip: encoding the value and decoding that again gives
// the same text (a fixpoint), within the depth and size limits. Nothing
// may panic; text encoding/json accepts must decode (but for numbers
// beyond float64).
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2,{"b":null}],"c":"d\u00e9\n","e":true,"f":-1.5e-7}`,
		`[]`, `{}`, `null`, `"x"`, `[1,[2,[3,[4]]]]`, `{"1":1,"2":2}`, `[1,null,3]`,
		`"\ud800"`, `1e400`, `{"a":1,"a":2}`, strings.Repeat("[", 120) + strings.Repeat("]", 120),
		`{"k":` + strings.Repeat(`"long string"`, 1) + `}`, `[0.1, 100000000000000000000, -0]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v := newVM(newConfig(Options{MaxStringBytes: 1 << 16}))
		defer v.close()
		val, err := jsonCall(v, v.jsonDecode, lua.LString(data))
		if isGoPanic(err) {
			t.Fatalf("json.decode panicked: %v", err)
		}
		if err != nil {
			if json.Valid([]byte(data)) && !strings.Contains(err.Error(), "cannot unmarshal number") {
				t.Fatalf("json.decode refused valid JSON %q: %v", data, err)
			}
			return
		}
		enc1, err := jsonCall(v, v.jsonEncode, val)
		if isGoPanic(err) {
			t.Fatalf("json.encode panicked: %v", err)
		}
		if err != nil {
			if !limitError(err) {
				t.Fatalf("json.encode of a decoded value failed: %v", err)
			}
			return
		}
		s1 := string(enc1.(lua.LString))
		if len(s1) > 1<<16+64 || !json.Valid([]byte(s1)) {
			t.Fatalf("json.encode gave %d bytes, valid %v", len(s1), json.Valid([]byte(s1)))
		}
		val2, err := jsonCall(v, v.jsonDecode, enc1)
		if err != nil {
			t.Fatalf("json.decode of json.encode's output %q: %v", s1, err)
		}
		enc2, err := jsonCall(v, v.jsonEncode, val2)
		if err != nil || string(enc2.(lua.LString)) != s1 {
			t.Fatalf("round trip: got %v, %v; want %q", enc2, err, s1)
		}
	})
}

func isGoPanic(err error) bool {
	var ae *lua.ApiError
	return errors.As(err, &ae) && ae.Type == lua.ApiErrorPanic
}

// limitError reports an encode refused by the depth or size limit.
func limitError(err error) bool {
	return strings.Contains(err.Error(), "nested deeper than") || strings.Contains(err.Error(), "longer than the string limit")
}
