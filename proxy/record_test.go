package proxy

import "testing"

func TestRequestIDFormat(t *testing.T) {
	s := &Server{reqBase: "k3x9"}
	if got, want := s.newRequestID(), "k3x9-000001"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	s.reqSeq.Store(1234566)
	if got, want := s.newRequestID(), "k3x9-1234567"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
