package config

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// docPath is the configuration reference these tests hold to the code.
var docPath = filepath.Join("..", "docs", "config.md")

// mapKeyNames are the placeholders docs/config.md writes for the keys of
// the config's maps.
var mapKeyNames = map[string]string{"classes": "<name>", "outbound_by_host": "<pattern>"}

var (
	durationType = reflect.TypeFor[Duration]()
	sizeType     = reflect.TypeFor[Size]()
)

// isLeaf reports whether values of t are written as one value in the file
// (a scalar, a list, a duration, a size, a binding's params), not as a
// section of keys.
func isLeaf(t reflect.Type) bool {
	if t == durationType || t == sizeType {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer:
		return isLeaf(t.Elem())
	case reflect.Struct:
		return false
	case reflect.Map:
		return !isSection(t.Elem())
	}
	return true
}

// isSection reports a struct (or pointer to one) that holds keys.
func isSection(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != durationType && t != sizeType
}

// yamlName is a field's key, or "" for a field the file never holds.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// configKeys lists every key the file can hold, dotted, with the
// placeholders of mapKeyNames for map keys, and the Go type of each.
func configKeys(t reflect.Type, prefix string, out map[string]reflect.Type) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key := prefix + name
		switch {
		case isLeaf(f.Type):
			out[key] = f.Type
		case f.Type.Kind() == reflect.Map:
			configKeys(f.Type.Elem(), key+"."+mapKeyNames[name]+".", out)
		default:
			configKeys(f.Type, key+".", out)
		}
	}
}

// docRow is one row of a key table in docs/config.md.
type docRow struct {
	line                int
	typ, def, meaning   string
	defaultLiteral      string // the default when the cell starts with `code`
	hasLiteral, require bool
}

var (
	keyRow  = regexp.MustCompile("^\\| `([^`]+)` \\|")
	literal = regexp.MustCompile("^`([^`]*)`")
)

// docRows reads the key tables: rows whose first cell is one `key`, with
// the columns key, type, default, meaning.
func docRows(t *testing.T) map[string]docRow {
	t.Helper()
	f, err := os.Open(docPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]docRow{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	inTable := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "| key | type | default | meaning |") {
			inTable = true
			continue
		}
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		m := keyRow.FindStringSubmatch(line)
		if !inTable || m == nil {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 4 {
			t.Errorf("%s:%d: a key row needs 4 cells (key, type, default, meaning), has %d", docPath, n, len(cells))
			continue
		}
		if prev, dup := rows[m[1]]; dup {
			t.Errorf("%s:%d: %s is also documented on line %d", docPath, n, m[1], prev.line)
		}
		r := docRow{line: n, typ: cells[1], def: cells[2], meaning: cells[3], require: strings.HasPrefix(cells[2], "required")}
		if lm := literal.FindStringSubmatch(cells[2]); lm != nil {
			r.defaultLiteral, r.hasLiteral = lm[1], true
		}
		rows[m[1]] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// splitRow splits a table row into its cells; a | inside `code` does not
// split.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	inCode := false
	for _, r := range line {
		switch {
		case r == '`':
			inCode = !inCode
		case r == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// Every key of the config structs has its row in docs/config.md, and every
// row names a key that exists, so a new key cannot go undocumented.
func TestDocsConfigListsEveryKey(t *testing.T) {
	keys := map[string]reflect.Type{}
	configKeys(reflect.TypeFor[Config](), "", keys)
	rows := docRows(t)
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		if _, ok := rows[key]; !ok {
			t.Errorf("%s has no row for the key %s", docPath, key)
		}
	}
	for key, r := range rows {
		if _, ok := keys[key]; !ok {
			t.Errorf("%s:%d: documents %s, which is not a key of the config", docPath, r.line, key)
		}
	}
	if len(keys) < 70 {
		t.Errorf("found only %d keys in the config structs; the walk is broken", len(keys))
	}
}

// typeWord is what the type column must say for a Go type.
func typeWord(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "duration"
	case t == sizeType:
		return "size"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "list"
	case reflect.Map:
		return "object"
	}
	return t.String()
}

// The type column says what the code decodes: a duration, a size, an
// integer, a boolean, a string, a list or an object.
func TestDocsConfigTypes(t *testing.T) {
	keys := map[string]reflect.Type{}
	configKeys(reflect.TypeFor[Config](), "", keys)
	for key, r := range docRows(t) {
		typ, ok := keys[key]
		if !ok {
			continue // reported by TestDocsConfigListsEveryKey
		}
		if want := typeWord(typ); !strings.HasPrefix(r.typ, want) {
			t.Errorf("%s:%d: %s: the type column says %q, want it to start with %q", docPath, r.line, key, r.typ, want)
		}
	}
}

// probeConfig holds every optional section, so that the defaults inside
// them (approle, vault_transit, a class's bindings and rate limit) apply.
const probeConfig = `version: 1
secrets:
  vault:
    approle: {}
state:
  seal:
    vault_transit: {}
classes:
  default:
    outbound: { handler: h }
    outbound_by_host:
      example.com: { handler: h }
    rate_limit: { requests: 1, per: 1s }
`

// leaves lists every key the decoded config c holds, with concrete map
// keys, and its value as the file would compare it: durations as
// time.Duration, sizes as bytes, nil and empty lists alike, a class's
// intercept_https as its effective value.
func leaves(v reflect.Value, prefix string, out map[string]any) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key, fv := prefix+name, v.Field(i)
		switch {
		case isLeaf(f.Type):
			out[key] = leafValue(fv)
		case f.Type.Kind() == reflect.Map:
			iter := fv.MapRange()
			for iter.Next() {
				leaves(iter.Value(), key+"."+iter.Key().String()+".", out)
			}
		default:
			leaves(fv, key+".", out)
		}
	}
}

func leafValue(v reflect.Value) any {
	switch x := v.Interface().(type) {
	case Duration:
		return x.Duration
	case Size:
		return x.Bytes
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	case *[]string:
		if x == nil {
			return nil
		}
		return fmt.Sprint(*x)
	case []string:
		return fmt.Sprint(x)
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
		return fmt.Sprint(x)
	}
	return v.Interface()
}

// parseDefaults decodes src as a file in dir and lists its leaves.
func parseDefaults(t *testing.T, src, dir string) map[string]any {
	t.Helper()
	c, err := Parse([]byte(src), filepath.Join(dir, "sandgate.yaml"))
	if err != nil {
		t.Fatalf("parsing:\n%s\n%v", src, err)
	}
	for _, cl := range c.Classes {
		on := cl.Intercept()
		cl.InterceptHTTPS = &on
	}
	out := map[string]any{}
	leaves(reflect.ValueOf(c), "", out)
	return out
}

// generic replaces the concrete map keys of a leaf's key by the
// placeholders docs/config.md writes.
func generic(key string) string {
	key = strings.Replace(key, "classes.default.", "classes.<name>.", 1)
	return strings.Replace(key, "outbound_by_host.example.com.", "outbound_by_host.<pattern>.", 1)
}

// The default column says what the code applies: a `literal` default is
// the value a file without the key gets; a default in words is a key the
// code leaves empty.
func TestDocsConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	got := parseDefaults(t, probeConfig, dir)
	rows := docRows(t)
	keys := map[string]reflect.Type{}
	configKeys(reflect.TypeFor[Config](), "", keys)
	for concrete, val := range got {
		key := generic(concrete)
		r, ok := rows[key]
		if !ok || r.require {
			continue // undocumented keys are reported elsewhere; required ones have no default
		}
		if !r.hasLiteral {
			if !isZero(val) {
				t.Errorf("%s:%d: %s: the default column says %q, but the code applies %v", docPath, r.line, key, r.def, val)
			}
			continue
		}
		want, err := literalValue(keys[key], r.defaultLiteral, dir)
		if err != nil {
			t.Errorf("%s:%d: %s: default `%s`: %v", docPath, r.line, key, r.defaultLiteral, err)
			continue
		}
		if !reflect.DeepEqual(val, want) {
			t.Errorf("%s:%d: %s: the default column says `%s`, but the code applies %v", docPath, r.line, key, r.defaultLiteral, val)
		}
	}
}

func isZero(v any) bool {
	return v == nil || reflect.ValueOf(v).IsZero() || fmt.Sprint(v) == "[]"
}

// literalValue reads a default as written in the doc, as leafValue would
// give it for a key of type t; a path starting with ./ resolves against
// dir, as the config's own paths do.
func literalValue(t reflect.Type, s, dir string) (any, error) {
	if t.Kind() == reflect.Pointer && t != reflect.TypeFor[*[]string]() {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return time.ParseDuration(s)
	case t == sizeType:
		return ParseSize(s)
	}
	switch t.Kind() {
	case reflect.Int:
		return strconv.Atoi(s)
	case reflect.Bool:
		return strconv.ParseBool(s)
	case reflect.String:
		if strings.HasPrefix(s, "./") {
			return filepath.Join(dir, s), nil
		}
		return s, nil
	case reflect.Slice:
		if s == "[]" {
			return "[]", nil
		}
	}
	return nil, fmt.Errorf("cannot read a default of type %s", t)
}

// The block "The whole file, with its defaults" is the defaults: it
// decodes to exactly what a file holding only "version: 1" gets.
func TestDocsConfigWholeFileIsTheDefaults(t *testing.T) {
	block := wholeFileBlock(t)
	dir := t.TempDir()
	got := parseDefaults(t, block, dir)
	want := parseDefaults(t, "version: 1\n", dir)
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if !reflect.DeepEqual(got[key], want[key]) {
			t.Errorf("%s: the whole file gives %s = %v, the code's default is %v", docPath, key, got[key], want[key])
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s: the whole file sets %s, which a file with only \"version: 1\" does not have", docPath, key)
		}
	}
}

// wholeFileBlock is the first yaml block after the heading of that name.
func wholeFileBlock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## The whole file, with its defaults\n")
	if !ok {
		t.Fatalf("%s has no section \"The whole file, with its defaults\"", docPath)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatalf("%s: the section \"The whole file, with its defaults\" has no yaml block", docPath)
	}
	block, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatalf("%s: the whole file's block is never closed", docPath)
	}
	return block
}
