package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ParamType is the type of a declared param. Values are decoded JSON: a
// list is a JSON array, a table a JSON object.
type ParamType string

// The declared param types.
const (
	TypeString  ParamType = "string"
	TypeNumber  ParamType = "number"
	TypeBoolean ParamType = "boolean"
	TypeList    ParamType = "list"
	TypeTable   ParamType = "table"
	TypeAny     ParamType = "any"
)

var paramTypes = []ParamType{TypeString, TypeNumber, TypeBoolean, TypeList, TypeTable, TypeAny}

// Param is one declared param of a script.
type Param struct {
	Type     ParamType `json:"type"`
	Required bool      `json:"required"`
	// Default is what ctx.params holds when a binding leaves the param
	// out; nil when there is none.
	Default any `json:"default,omitempty"`
}

// Params are the params a script declares, by name. A nil Params is a
// script that returns a plain function: it accepts any params.
type Params map[string]Param

// paramName is the shape of a declared param's name.
var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParamsError lists what is wrong with a binding's params, one problem per
// param, each as "params.<name>: <problem>".
type ParamsError struct {
	Problems []string
}

func (e *ParamsError) Error() string { return strings.Join(e.Problems, "; ") }

// Check reports whether params (decoded JSON: a map, or nil for none) suit
// ps. The error is a *ParamsError naming every required param missing,
// every param of the wrong type and every name ps does not declare. A JSON
// null counts as absent.
func (ps Params) Check(params any) error {
	if ps == nil {
		return nil
	}
	m, ok := params.(map[string]any)
	if !ok && params != nil {
		return &ParamsError{Problems: []string{fmt.Sprintf("params: want a JSON object, got %s", jsonType(params))}}
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(ps)) {
		p := ps[name]
		v, present := m[name]
		switch {
		case !present || v == nil:
			if p.Required {
				problems = append(problems, "params."+name+": required")
			}
		case !p.Type.accepts(v):
			problems = append(problems, fmt.Sprintf("params.%s: want %s, got %s", name, p.Type, jsonType(v)))
		}
	}
	var extra []string
	for name := range m {
		if _, ok := ps[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		problems = append(problems, fmt.Sprintf("params.%s: not declared (the script declares %s)", name, ps.names()))
	}
	if len(problems) > 0 {
		return &ParamsError{Problems: problems}
	}
	return nil
}

// withDefaults returns a copy of params with every default of ps filled in
// where the binding left the param out, or params itself (and false) when
// nothing is missing. params is a map or nil, as Check accepted it.
func (ps Params) withDefaults(params any) (any, bool) {
	m, _ := params.(map[string]any)
	var out map[string]any
	for name, p := range ps {
		if p.Default == nil {
			continue
		}
		if v, ok := m[name]; ok && v != nil {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(m)+len(ps))
			for k, v := range m {
				out[k] = v
			}
		}
		out[name] = p.Default
	}
	if out == nil {
		return params, false
	}
	return out, true
}

func (ps Params) names() string {
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(ps)), ", ")
}

// accepts reports whether decoded JSON v is of type t.
func (t ParamType) accepts(v any) bool {
	switch t {
	case TypeAny:
		return true
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeNumber:
		switch v.(type) {
		case float64, int, int64, json.Number:
			return true
		}
	case TypeBoolean:
		_, ok := v.(bool)
		return ok
	case TypeList:
		_, ok := v.([]any)
		return ok
	case TypeTable:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

// jsonType names the JSON type of decoded v, in the words of ParamType.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, int, int64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

func validParamType(t ParamType) bool { return slices.Contains(paramTypes, t) }
