package engine

import (
	"context"
	"log/slog"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

const (
	levelInfo  = slog.LevelInfo
	levelWarn  = slog.LevelWarn
	levelError = slog.LevelError
)

// logFunc is log.info/warn/error(msg [, fields]): one line on Options.Logger
// with the call's sandbox_id, handler and request_id, then the fields
// (sorted). Secret values read during the call are redacted.
func (v *vm) logFunc(level slog.Level) lua.LGFunction {
	return func(L *lua.LState) int {
		msg := L.ToStringMeta(L.CheckAny(1)).String()
		var fields *lua.LTable
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			fields = L.CheckTable(2)
		}
		v.log(level, msg, fields)
		return 0
	}
}

// luaPrint sends print(...) to the log at info level, tab-separated.
func (v *vm) luaPrint(L *lua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
	}
	v.log(levelInfo, strings.Join(parts, "\t"), nil)
	return 0
}

func (v *vm) log(level slog.Level, msg string, fields *lua.LTable) {
	ctx, redact := context.Background(), v.held.redact
	attrs := make([]slog.Attr, 0, 4)
	if cs := v.cur; cs != nil {
		ctx, redact = cs.ctx, cs.redact
		attrs = append(attrs,
			slog.String("sandbox_id", cs.call.SandboxID),
			slog.String("handler", cs.handler),
			slog.String("request_id", cs.call.RequestID))
	}
	if fields != nil {
		if target := frozenTarget(fields); target != nil {
			fields = target
		}
		start := len(attrs)
		fields.ForEach(func(k, val lua.LValue) {
			attrs = append(attrs, slog.Any(redact(k.String()), v.logValue(val, redact, 0)))
		})
		extra := attrs[start:]
		sort.Slice(extra, func(i, j int) bool { return extra[i].Key < extra[j].Key })
	}
	v.cfg.logger.LogAttrs(ctx, level, redact(msg), attrs...)
}

// logValue converts a field for the log, redacting strings.
func (v *vm) logValue(lv lua.LValue, redact func(string) string, depth int) any {
	switch x := lv.(type) {
	case lua.LBool:
		return bool(x)
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		return redact(string(x))
	case *lua.LTable:
		if depth >= 8 {
			return "(table)"
		}
		if target := frozenTarget(x); target != nil {
			x = target
		}
		m := make(map[string]any)
		x.ForEach(func(k, val lua.LValue) { m[redact(k.String())] = v.logValue(val, redact, depth+1) })
		return m
	case *lua.LNilType:
		return nil
	default:
		if x == v.null {
			return nil
		}
		return redact(lv.String())
	}
}
