package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/sandgate/sandgate/engine/luastr"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,127}$`) // 128 characters at most: every file system can hold NAME.lua

// testSuffix ends the stem of a policy test file (sandgate test), which is
// never a handler.
const testSuffix = "_test"

func validName(name string) bool {
	return nameRE.MatchString(name) && !strings.HasSuffix(name, testSuffix)
}

// isTestFile reports whether file is a policy test (foo_test.lua).
func isTestFile(file string) bool { return strings.HasSuffix(file, testSuffix+".lua") }

// script is one compiled handler.
type script struct {
	name  string
	file  string // base name in the scripts directory
	src   []byte
	sum   string // hex SHA-256 of src
	proto *lua.FunctionProto
	// params are the declared params; nil for a plain function.
	params Params
}

// loadDir compiles every *.lua file of the scripts directory (test files
// aside) into a new Snapshot, or returns a *LoadError with every failure.
func (e *Engine) loadDir(bound []string) (*Snapshot, error) {
	scripts := make(map[string]*script)
	var errs []ScriptError
	if e.cfg.dir != "" {
		entries, err := os.ReadDir(e.cfg.dir)
		if err != nil {
			return nil, fmt.Errorf("engine: reading scripts directory: %w", err)
		}
		chk := newChecker(e.cfg)
		defer chk.close()
		for _, ent := range entries {
			file := ent.Name()
			if ent.IsDir() || !strings.HasSuffix(file, ".lua") || isTestFile(file) {
				continue
			}
			name := strings.TrimSuffix(file, ".lua")
			if !validName(name) {
				errs = append(errs, ScriptError{File: file, Msg: "invalid handler name (want [a-zA-Z0-9_][a-zA-Z0-9_-]*)"})
				continue
			}
			src, err := os.ReadFile(filepath.Join(e.cfg.dir, file))
			if err != nil {
				errs = append(errs, ScriptError{Name: name, File: file, Msg: err.Error()})
				scripts[name] = nil
				continue
			}
			sc, se := chk.compile(name, src)
			if se != nil {
				errs = append(errs, *se)
			}
			scripts[name] = sc // nil on failure: the name exists, for the bound check
		}
	}
	for _, name := range bound {
		if _, ok := scripts[name]; !ok {
			errs = append(errs, ScriptError{Name: name, File: name + ".lua", Msg: "bound handler missing from scripts directory"})
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].File < errs[j].File })
		return nil, &LoadError{Errors: errs}
	}
	return newSnapshot(e.cfg, e.pool, scripts), nil
}

// checker compiles scripts and runs each chunk once in a throwaway Lua state,
// so a chunk that fails or does not return a function is refused at load
// time rather than at its first request.
type checker struct {
	cfg *config
	v   *vm
}

func newChecker(cfg *config) *checker { return &checker{cfg: cfg} }

func (c *checker) compile(name string, src []byte) (*script, *ScriptError) {
	file := name + ".lua"
	proto, err := luastr.Compile(src, file)
	if err != nil {
		se := scriptError(name, file, err)
		if line, col, ok := syntaxPosition(src, file); ok && line == se.Line {
			se.Column = col
		}
		return nil, &se
	}
	params, err := c.check(proto)
	if err != nil {
		se := scriptError(name, file, err)
		return nil, &se
	}
	sum := sha256.Sum256(src)
	return &script{name: name, file: file, src: src, sum: hex.EncodeToString(sum[:]), proto: proto, params: params}, nil
}

// check runs the chunk once and returns the params it declares.
func (c *checker) check(proto *lua.FunctionProto) (params Params, err error) {
	if c.v == nil {
		c.v = newVM(c.cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	c.v.L.SetContext(ctx)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
		if err != nil {
			c.close()
			if ctx.Err() != nil {
				err = fmt.Errorf("chunk exceeded time limit %v", c.cfg.timeout)
			}
			return
		}
		c.v.L.RemoveContext()
	}()
	ret, err := c.v.evalChunk(proto)
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		err = errors.New(ae.Object.String()) // without the traceback
	}
	if err != nil {
		return nil, err
	}
	if _, err := chunkHandler(ret); err != nil {
		return nil, err
	}
	return declaredParams(ret)
}

func (c *checker) close() {
	if c.v != nil {
		c.v.close()
		c.v = nil
	}
}

func errBadChunk(ret lua.LValue) error {
	return fmt.Errorf("script must return a function or {handler = function, params = {...}}, got %s", ret.Type())
}

// writeAtomic replaces dir/file with data: a temporary file in the same
// directory, synced, then renamed over the old one.
func writeAtomic(dir, file string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "."+file+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, file)); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

func removeFile(dir, file string) error {
	err := os.Remove(filepath.Join(dir, file))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename or removal durable; failure only costs durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
