package engine

import (
	"errors"
	"testing"
)

func TestSwapAllOrNothing(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	good := map[string][]byte{
		"a": []byte(`return function(req, ctx) return response{status=200} end`),
		"b": []byte(`return function(req, ctx) return deny() end`),
	}
	if swapped, err := e.Swap(good, nil); err != nil || !swapped {
		t.Fatalf("a good set: got %v %v, want swapped", swapped, err)
	}
	hash := e.Snapshot().Hash()
	if swapped, _ := e.Swap(good, nil); swapped {
		t.Error("the same set swapped again")
	}
	bad := map[string][]byte{"a": good["a"], "c": []byte(`return function(`)}
	_, err = e.Swap(bad, []Binding{{Where: "class default outbound", Handler: "b"}})
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errors) != 2 {
		t.Fatalf("a broken set missing a bound handler: got %v, want a LoadError with 2 errors", err)
	}
	if e.Snapshot().Hash() != hash || !e.Snapshot().Has("b") {
		t.Error("a refused set changed the handlers")
	}
	if err := e.Check("x", []byte("return 1")); err == nil {
		t.Error("Check accepted a chunk that returns no function")
	}
	if err := e.Check("bad name", good["a"]); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Check of a bad name: got %v", err)
	}
	if got := e.Sources(); string(got["b"]) != string(good["b"]) {
		t.Errorf("Sources: got %q", got)
	}
}
