package proxy

import "sync"

// pendingList holds the connections that have not authenticated yet, oldest
// first. Past max, the oldest are closed: a flood of connections that never
// authenticate (or trickle a header forever) cannot crowd out sandboxes.
type pendingList struct {
	max int // 0: no cap

	mu         sync.Mutex
	head, tail *pendingEntry
	n          int
}

type pendingEntry struct {
	c          *clientConn
	prev, next *pendingEntry
	listed     bool
}

// add appends c and returns its entry and the connections to close to stay
// within max (closing happens outside the lock, by the caller).
func (l *pendingList) add(c *clientConn) (*pendingEntry, []*clientConn) {
	e := &pendingEntry{c: c, listed: true}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tail == nil {
		l.head, l.tail = e, e
	} else {
		e.prev, l.tail.next, l.tail = l.tail, e, e
	}
	l.n++
	var evict []*clientConn
	for l.max > 0 && l.n > l.max {
		evict = append(evict, l.unlink(l.head).c)
	}
	return e, evict
}

// popOldest removes and returns the oldest pending connection, or nil.
func (l *pendingList) popOldest() *clientConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == nil {
		return nil
	}
	return l.unlink(l.head).c
}

// remove takes e off the list (a nil or removed entry is ignored).
func (l *pendingList) remove(e *pendingEntry) {
	if e == nil {
		return
	}
	l.mu.Lock()
	if e.listed {
		l.unlink(e)
	}
	l.mu.Unlock()
}

// Len is the number of pending connections.
func (l *pendingList) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *pendingList) unlink(e *pendingEntry) *pendingEntry {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next, e.listed = nil, nil, false
	l.n--
	return e
}
