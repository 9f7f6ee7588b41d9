package scrub

import "bytes"

// prefilter lets the scan skip text that cannot hold a value. Each value
// contributes one byte that is rare in HTTP bodies (by a fixed ranking of
// byte frequencies), taken from its first window bytes; when the values
// need at most maxRare distinct such bytes, the scan jumps from one of them
// to the next with bytes.IndexByte (vectorized) instead of stepping the
// automaton over every byte. More values than that, or values made only of
// common bytes, scan without it: the cost per byte is then the automaton's,
// whatever the number of values.
type prefilter struct {
	rare   []byte
	maxOff int // largest offset of a value's rare byte within that value
}

const (
	maxRare    = 3
	rareWindow = 16
)

func newPrefilter(values []string) *prefilter {
	p := &prefilter{}
	for _, v := range values {
		off := rarest(v)
		if int(rank[v[off]]) > len(byFrequency)-tooCommon {
			return nil
		}
		if bytes.IndexByte(p.rare, v[off]) < 0 {
			if len(p.rare) == maxRare {
				return nil
			}
			p.rare = append(p.rare, v[off])
		}
		p.maxOff = max(p.maxOff, off)
	}
	return p
}

// rarest is the offset of the rarest byte among the first rareWindow bytes
// of v, the earliest of equals.
func rarest(v string) int {
	best := 0
	for i := 1; i < min(len(v), rareWindow); i++ {
		if rank[v[i]] < rank[v[best]] {
			best = i
		}
	}
	return best
}

// hits remembers, for each rare byte, where it next occurs in the window
// being scanned (so each byte's search runs over the window once).
type hits [maxRare]int

func (h *hits) reset() {
	for i := range h {
		h[i] = -1
	}
}

// next returns the first position at or after i holding a rare byte, or
// len(buf) when there is none.
func (p *prefilter) next(buf []byte, i int, h *hits) int {
	first := len(buf)
	for k, b := range p.rare {
		if h[k] < i {
			if j := bytes.IndexByte(buf[i:], b); j >= 0 {
				h[k] = i + j
			} else {
				h[k] = len(buf)
			}
		}
		first = min(first, h[k])
	}
	return first
}

// byFrequency lists bytes by how common they are in text, JSON and HTML
// bodies, most common first; the first tooCommon are no use to a
// prefilter. Bytes not listed (control bytes other than tab, CR and LF,
// and bytes from 0x80 up) count as rarest.
const (
	byFrequency = " etaoinsrhldcu\"mfpgwyb,.:/\nv0k<>=-12_3x{}E4T5SAI9O8N67R(C)L;DjPMqFz'\r\tBHUWGVKY[]#&J?XQ!Z%+*@$|\\^~`"
	tooCommon   = 36 // through '2'
)

// rank is each byte's place in byFrequency counted from the end: 0 for
// the rarest.
var rank = func() (r [256]uint8) {
	for i := 0; i < len(byFrequency); i++ {
		r[byFrequency[i]] = uint8(len(byFrequency) - i)
	}
	return r
}()
