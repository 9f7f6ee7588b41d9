package load

import (
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := quantile(lat, tc.q); got != tc.want {
			t.Errorf("quantile(%v): got %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(nil, 0.5); got != 0 {
		t.Errorf("empty: got %v, want 0", got)
	}
}

func TestConfigMustBeBounded(t *testing.T) {
	c := Config{URL: "https://127.0.0.1/", Concurrency: 1, Header: "X", Want: "v"}
	if err := c.check(); err == nil {
		t.Error("no Duration and no MaxRequests: got no error")
	}
	c.MaxRequests = 1
	if err := c.check(); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}
