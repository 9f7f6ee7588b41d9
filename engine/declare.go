package engine

import (
	"errors"
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// A script returns its handler function, or a table that also declares
// its params:
//
//	return {
//	  params = { header = { type = "string", required = true },
//	             prefix = { type = "string", default = "" } },
//	  handler = function(req, ctx) ... end,
//	}

// chunkHandler returns the handler function a script's chunk returned.
func chunkHandler(ret lua.LValue) (*lua.LFunction, error) {
	switch r := ret.(type) {
	case *lua.LFunction:
		return r, nil
	case *lua.LTable:
		if fn, ok := r.RawGetString("handler").(*lua.LFunction); ok {
			return fn, nil
		}
		return nil, fmt.Errorf("the table a script returns needs handler = function(req, ctx) ... end, got %s",
			r.RawGetString("handler").Type())
	}
	return nil, errBadChunk(ret)
}

// declaredParams reads the params a script's chunk declared: nil for a
// plain function, an error for a declaration that is not well formed.
func declaredParams(ret lua.LValue) (Params, error) {
	t, ok := ret.(*lua.LTable)
	if !ok {
		return nil, nil
	}
	var err error
	t.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); (!ok || (s != "handler" && s != "params")) && err == nil {
			err = fmt.Errorf("the table a script returns has handler and params, not %s", k.String())
		}
	})
	if err != nil {
		return nil, err
	}
	switch decl := t.RawGetString("params").(type) {
	case *lua.LNilType:
		return Params{}, nil
	case *lua.LTable:
		return readParams(decl)
	default:
		return nil, fmt.Errorf("params must be a table of name = {type=, required=, default=}, got %s", decl.Type())
	}
}

func readParams(decl *lua.LTable) (Params, error) {
	ps := Params{}
	var errs []error
	decl.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok || !paramName.MatchString(string(name)) {
			errs = append(errs, fmt.Errorf("params: %s is not a param name (letters, digits and _)", k.String()))
			return
		}
		p, err := readParam(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("params.%s: %w", name, err))
			return
		}
		ps[string(name)] = p
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ps, nil
}

func readParam(v lua.LValue) (Param, error) {
	t, ok := v.(*lua.LTable)
	if !ok {
		return Param{}, fmt.Errorf("want {type=, required=, default=}, got %s", v.Type())
	}
	var p Param
	var err error
	t.ForEach(func(k, val lua.LValue) {
		if err != nil {
			return
		}
		switch k.String() {
		case "type":
			s, ok := val.(lua.LString)
			if p.Type = ParamType(s); !ok || !validParamType(p.Type) {
				err = fmt.Errorf("type must be one of %v, got %s", paramTypes, val.String())
			}
		case "required":
			b, ok := val.(lua.LBool)
			if p.Required = bool(b); !ok {
				err = fmt.Errorf("required must be true or false, got %s", val.Type())
			}
		case "default":
			if p.Default, err = goValue(val, 0); err != nil {
				err = fmt.Errorf("default: %w", err)
			}
		default:
			err = fmt.Errorf("unknown key %s (want type, required, default)", k.String())
		}
	})
	switch {
	case err != nil:
		return Param{}, err
	case p.Type == "":
		return Param{}, fmt.Errorf("type is missing (one of %v)", paramTypes)
	case p.Required && p.Default != nil:
		return Param{}, errors.New("a required param has no default")
	}
	if p.Default != nil {
		p.Default = asType(p.Default, p.Type)
		if !p.Type.accepts(p.Default) {
			return Param{}, fmt.Errorf("default: want %s, got %s", p.Type, jsonType(p.Default))
		}
	}
	return p, nil
}

// maxDefaultDepth bounds the nesting of a value goValue converts (and stops
// cycles).
const maxDefaultDepth = 32

// goValue converts a Lua value (a param's default) to decoded JSON: a
// table whose keys are 1..n is a list, any other a table with string keys.
func goValue(v lua.LValue, depth int) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%v is not a JSON number", x)
		}
		return float64(x), nil
	case lua.LString:
		return string(x), nil
	case *lua.LTable:
		if depth >= maxDefaultDepth {
			return nil, fmt.Errorf("nested deeper than %d", maxDefaultDepth)
		}
		return goTable(x, depth+1)
	}
	return nil, fmt.Errorf("a %s cannot be a param value", v.Type())
}

func goTable(t *lua.LTable, depth int) (any, error) {
	count := 0
	t.ForEach(func(lua.LValue, lua.LValue) { count++ })
	if n := t.Len(); n > 0 {
		if n != count {
			return nil, errors.New("a table mixes list items and named fields")
		}
		list := make([]any, n)
		for i := range list {
			v, err := goValue(t.RawGetInt(i+1), depth)
			if err != nil {
				return nil, err
			}
			list[i] = v
		}
		return list, nil
	}
	m := map[string]any{}
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		s, ok := k.(lua.LString)
		if !ok {
			err = fmt.Errorf("key %s is not a string", k.String())
			return
		}
		m[string(s)], err = goValue(v, depth)
	})
	return m, err
}

// asType makes an empty table default a list when the type says so ({}
// reads as either).
func asType(v any, t ParamType) any {
	if m, ok := v.(map[string]any); ok && len(m) == 0 && t == TypeList {
		return []any{}
	}
	return v
}
