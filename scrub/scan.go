package scrub

// span is a run of hidden bytes, [start, end) in stream positions: the
// union of value occurrences that overlap. shown is set once its
// [redacted] has been written while the run could still grow.
type span struct {
	start, end int64
	shown      bool
}

// add records an occurrence [start, end), merging it with the runs it
// overlaps. Occurrences arrive in order of end, so only runs at the back
// can overlap.
func addSpan(spans []span, start, end int64) []span {
	shown := false
	for len(spans) > 0 {
		last := spans[len(spans)-1]
		if last.end <= start {
			break
		}
		start, end = min(start, last.start), max(end, last.end)
		shown = shown || last.shown
		spans = spans[:len(spans)-1]
	}
	return append(spans, span{start: start, end: end, shown: shown})
}

// scan steps the automaton from state s over buf[from:], where buf[0] is at
// stream position base, appends every occurrence to spans and returns the
// new state. Stretches of buf that the prefilter shows cannot hold the
// start of an occurrence are skipped while the automaton is at the root.
func (a *automaton) scan(s int32, buf []byte, from int, base int64, spans []span) (int32, []span) {
	var h hits
	h.reset()
	for i := from; i < len(buf); {
		to := i // not at the root: step until back there
		if s == 0 {
			i = a.skip(buf, i, &h)
			to = a.resume(buf, i, &h) // past the rare byte, then on to the root
		}
		s, i, spans = a.stepToRoot(s, buf, i, to, base, spans)
	}
	return s, spans
}

// skip returns where the automaton, at the root at i, must start again: no
// occurrence starts before the next candidate at or after i, less the
// largest offset of a rare byte in its value. Without a candidate left,
// only the start of a value cut by the end of buf can be there.
func (a *automaton) skip(buf []byte, i int, h *hits) int {
	next := a.pre.next(buf, i, h)
	if next == len(buf) {
		return max(i, len(buf)-a.pre.tail(a.maxLen))
	}
	return max(i, next-a.pre.back())
}

// resume is the position after the next candidate at or after i: the
// automaton steps at least that far before the scan may skip again.
func (a *automaton) resume(buf []byte, i int, h *hits) int {
	next := a.pre.next(buf, i, h)
	if next == len(buf) {
		return len(buf)
	}
	return next + 1
}

// stepToRoot runs the automaton from buf[from] on, and stops at the first
// position at or after to where it is at the root (or at the end of buf).
func (a *automaton) stepToRoot(s int32, buf []byte, from, to int, base int64, spans []span) (int32, int, []span) {
	trans, class, matchFrom := a.trans, &a.class, a.matchFrom
	i := from
	for ; i < len(buf); i++ {
		if s == 0 && i >= to {
			break
		}
		s = trans[s+int32(class[buf[i]])]
		if s >= matchFrom {
			end := base + int64(i+1)
			spans = addSpan(spans, end-int64(a.mlen[s/a.stride]), end)
		}
	}
	return s, i, spans
}

// held is how many bytes at the end of the input so far could begin an
// occurrence, in state s.
func (a *automaton) held(s int32) int { return int(a.depth[s/a.stride]) }
