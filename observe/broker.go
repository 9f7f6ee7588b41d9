package observe

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sandgate/sandgate/proxy"
)

// DefaultBuffer is how many events a subscriber may fall behind before
// the next ones are dropped for it.
const DefaultBuffer = 256

// Filter selects events. An empty list matches everything.
type Filter struct {
	Sandboxes []string
	Decisions []string
}

func (f Filter) match(e *Event) bool {
	return (len(f.Sandboxes) == 0 || slices.Contains(f.Sandboxes, e.Sandbox)) &&
		(len(f.Decisions) == 0 || slices.Contains(f.Decisions, e.Decision))
}

// ParseFilter reads the repeated or comma-separated values of the query
// parameters "sandbox" and "decision".
func ParseFilter(sandbox, decision []string) Filter {
	return Filter{Sandboxes: splitList(sandbox), Decisions: splitList(decision)}
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Broker fans records out to live subscribers. Publish never blocks: a
// subscriber whose buffer is full loses the event, and the loss is counted.
type Broker struct {
	// OnDrop, if non-nil, is called once per dropped event (a metric).
	OnDrop func()

	mu   sync.Mutex
	subs atomic.Pointer[[]*Subscription] // copy on write; Publish only loads
	done bool
}

// Subscription is one subscriber's view of the stream.
type Subscription struct {
	// C delivers the events. It is never closed: Done says when the
	// subscription has ended.
	C       <-chan Event
	c       chan Event
	done    chan struct{}
	filter  Filter
	dropped atomic.Uint64
	once    sync.Once
	b       *Broker
}

// Done is closed when the subscription ends (Close, or the broker's Close).
func (s *Subscription) Done() <-chan struct{} { return s.done }

func (s *Subscription) end() { s.once.Do(func() { close(s.done) }) }

// Dropped is how many events this subscriber lost.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Subscribe adds a subscriber with room for buffer events (DefaultBuffer
// if buffer <= 0). It returns nil once the broker is closed.
func (b *Broker) Subscribe(f Filter, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, done: make(chan struct{}), filter: f, b: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return nil
	}
	next := append(slices.Clone(b.list()), s)
	b.subs.Store(&next)
	return s
}

// Close removes the subscription and closes Done.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(s.b.list()), func(x *Subscription) bool { return x == s })
	s.b.subs.Store(&next)
	s.end()
}

// Len is the number of subscribers.
func (b *Broker) Len() int { return len(b.list()) }

func (b *Broker) list() []*Subscription {
	if p := b.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// Observe publishes r to every subscriber whose filter matches.
func (b *Broker) Observe(r *proxy.Record) {
	subs := b.list()
	if len(subs) == 0 {
		return
	}
	e := NewEvent(r)
	for _, s := range subs {
		if !s.filter.match(&e) {
			continue
		}
		b.send(s, e)
	}
}

func (b *Broker) send(s *Subscription, e Event) {
	select {
	case s.c <- e:
	default:
		s.dropped.Add(1)
		if b.OnDrop != nil {
			b.OnDrop()
		}
	}
}

// Close ends every subscription; later Subscribe calls return nil.
func (b *Broker) Close() {
	b.mu.Lock()
	subs := b.list()
	b.done = true
	b.subs.Store(&[]*Subscription{})
	b.mu.Unlock()
	for _, s := range subs {
		s.end()
	}
}
