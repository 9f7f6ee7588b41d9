package main

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// trickleHead is what a flood connection sends, one byte at a time: the
// start of a request head that never ends and never authenticates.
const trickleHead = "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\nUser-Agent: trickle\r\n"

// trickler keeps up to n connections to the proxy that trickle one byte
// every interval, opened at most rate a second; with reopen, a connection
// the gateway closes is replaced (at the same bounded rate), as an attacker
// would.
type trickler struct {
	addr     string
	n        int
	rate     int
	interval time.Duration
	reopen   bool
	headerTO time.Duration // the gateway's header_timeout

	open      atomic.Int64 // dialing or connected
	peakOpen  atomic.Int64
	attempts  atomic.Int64
	ramped    chan struct{} // closed when n connections have been attempted
	rampOnce  sync.Once
	wg        sync.WaitGroup
	mu        sync.Mutex
	stats     TrickleStats
	dialFails map[string]int
}

// TrickleStats is what the flood saw from its side.
type TrickleStats struct {
	Attempts   int64 `json:"attempts"`    // connections dialed
	DialFailed int   `json:"dial_failed"` // of which the dial failed
	PeakOpen   int64 `json:"peak_open"`   // connections open at once, at most (this side's view)
	// Closed counts the connections the gateway closed, by what came
	// first: a status line ("408") or "closed without a response".
	Closed      map[string]int `json:"closed_by_gateway"`
	ClosedTotal int            `json:"closed_by_gateway_total"`
	// ClosedEarly of them were closed before the header time-out could have
	// ended them: room made by max_pending_connections.
	ClosedEarly int `json:"closed_before_header_timeout"`
	// OpenAtEnd were still open when the flood stopped (closed by us).
	OpenAtEnd int `json:"open_at_end"`
	// FirstCloseAfter is the median time from a connection's first byte to
	// the gateway closing it.
	MedianLife float64        `json:"median_life_s"`
	DialErrors map[string]int `json:"dial_errors,omitempty"`
	lives      []time.Duration
}

// startTrickle starts the flood; stop ends it.
func startTrickle(ctx context.Context, addr string, n, rate int, interval, headerTimeout time.Duration, reopen bool) (*trickler, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	t := &trickler{addr: addr, n: n, rate: max(rate, 1), interval: interval, reopen: reopen, headerTO: headerTimeout,
		ramped: make(chan struct{}), dialFails: map[string]int{}}
	t.stats.Closed = map[string]int{}
	t.wg.Add(1)
	go t.opener(ctx)
	return t, cancel
}

// opener dials at most rate connections a second while fewer than n are
// open (with reopen) or fewer than n were ever dialed (without).
func (t *trickler) opener(ctx context.Context) {
	defer t.wg.Done()
	const tick = 10 * time.Millisecond
	tk := time.NewTicker(tick)
	defer tk.Stop()
	var budget float64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		budget = min(budget+float64(t.rate)*tick.Seconds(), float64(t.rate)) // at most a second's worth
		for budget >= 1 && t.wantMore() {
			budget--
			t.attempts.Add(1)
			t.noteOpen(t.open.Add(1))
			t.wg.Add(1)
			go t.conn(ctx)
		}
		if t.attempts.Load() >= int64(t.n) {
			t.rampOnce.Do(func() { close(t.ramped) })
		}
	}
}

func (t *trickler) wantMore() bool {
	if t.reopen {
		return t.open.Load() < int64(t.n)
	}
	return t.attempts.Load() < int64(t.n)
}

func (t *trickler) noteOpen(n int64) {
	for {
		p := t.peakOpen.Load()
		if n <= p || t.peakOpen.CompareAndSwap(p, n) {
			return
		}
	}
}

// conn is one flood connection: a byte, a wait of interval for the
// gateway to answer or close, and again, until the gateway closes it or
// the flood ends.
func (t *trickler) conn(ctx context.Context) {
	defer t.wg.Done()
	defer t.open.Add(-1)
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		if ctx.Err() == nil {
			t.dialFailed(err)
		}
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	start := time.Now()
	buf := make([]byte, 64)
	for i := 0; ; i++ {
		if _, err := c.Write([]byte{trickleHead[i%len(trickleHead)]}); err != nil {
			t.ended(ctx, "closed without a response", start)
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(t.interval))
		n, err := c.Read(buf)
		switch {
		case ctx.Err() != nil:
			t.ended(ctx, "", start)
			return
		case n > 0:
			t.ended(ctx, statusOf(buf[:n]), start)
			return
		case isTimeout(err):
			continue
		default:
			t.ended(ctx, "closed without a response", start)
			return
		}
	}
}

// ended records how a connection ended: closed by the gateway (how), or
// still open when the flood stopped.
func (t *trickler) ended(ctx context.Context, how string, start time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ctx.Err() != nil || how == "" {
		t.stats.OpenAtEnd++
		return
	}
	life := time.Since(start)
	t.stats.Closed[how]++
	t.stats.ClosedTotal++
	if life < t.headerTO-500*time.Millisecond {
		t.stats.ClosedEarly++
	}
	if len(t.stats.lives) < 100000 {
		t.stats.lives = append(t.stats.lives, life)
	}
}

func (t *trickler) dialFailed(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.DialFailed++
	t.dialFails[errKind(err)]++
}

// stop ends the flood, closes every connection and returns the counts.
func (t *trickler) stop(cancel context.CancelFunc) TrickleStats {
	cancel()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Attempts, s.PeakOpen = t.attempts.Load(), t.peakOpen.Load()
	s.MedianLife = median(s.lives).Seconds()
	if len(t.dialFails) > 0 {
		s.DialErrors = t.dialFails
	}
	return s
}

// statusOf names the first bytes the gateway sent: "HTTP/1.1 408 ..." is
// "408".
func statusOf(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
		return "status " + f[1]
	}
	return "other bytes"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, io.EOF)
}
