package client_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/observe"
	"github.com/sandgate/sandgate/proxy"
)

// The client's Event decodes every field the server sends.
func TestEventMatchesServer(t *testing.T) {
	b, _ := json.Marshal(observe.NewEvent(&proxy.Record{Time: time.Now(), RequestID: "r", Decision: "deny", Port: 443}))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e client.Event
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("client.Event misses a field of observe.Event: %v", err)
	}
	b, _ = json.Marshal(observe.Drops{Dropped: 3})
	if err := json.Unmarshal(b, &e); err != nil || e.Dropped != 3 {
		t.Errorf("got %+v (%v), want Dropped 3", e, err)
	}
}
