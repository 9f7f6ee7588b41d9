package scrub

import (
	"bytes"
	"encoding/binary"
)

// prefilter lets the scan skip text that cannot hold a value, in one of two
// ways. Rare bytes: each value contributes one byte that is rare in HTTP
// bodies (by a fixed ranking of byte frequencies), taken from its first
// rareWindow bytes; when the values need at most maxRare distinct such
// bytes, the scan jumps from one of them to the next with bytes.IndexByte
// (vectorized). Otherwise prefixes: a 64 Kib bitmap of hashes of each
// value's first four bytes, tested at every position; its cost per byte
// does not depend on the number of values (it only lets more positions
// through as the bitmap fills).
type prefilter struct {
	rare   []byte
	pairs  [maxRare][]rarePair // the values each rare byte stands for
	maxOff int                 // largest offset of a value's rare byte within that value
	bits   *[1024]uint64       // prefix hashes; nil with rare bytes
}

// rarePair is a value and the offset of its rare byte in it. A rare byte
// found in the text is a candidate only if the bytes around it could be
// that value: in text where the byte is not rare after all (random letters
// and digits, say) most hits are dismissed here, cheaply, instead of the
// automaton walking over them.
type rarePair struct {
	val string
	off int
}

// verifyLen is how many bytes of a value a rare-byte hit is compared with.
const verifyLen = 8

const (
	maxRare    = 3
	rareWindow = 16
	prefixLen  = 4 // bytes hashed by the prefix filter (MinLen or less)
)

func newPrefilter(values []string) *prefilter {
	if p := rareBytes(values); p != nil {
		return p
	}
	p := &prefilter{bits: new([1024]uint64)}
	for _, v := range values {
		h := prefixHash(binary.LittleEndian.Uint32([]byte(v[:prefixLen])))
		p.bits[h>>6] |= 1 << (h & 63)
	}
	return p
}

func rareBytes(values []string) *prefilter {
	p := &prefilter{}
	for _, v := range values {
		off := rarest(v)
		if int(rank[v[off]]) > len(byFrequency)-tooCommon {
			return nil
		}
		k := bytes.IndexByte(p.rare, v[off])
		if k < 0 {
			if len(p.rare) == maxRare {
				return nil
			}
			k = len(p.rare)
			p.rare = append(p.rare, v[off])
		}
		p.pairs[k] = append(p.pairs[k], rarePair{val: v, off: off})
		p.maxOff = max(p.maxOff, off)
	}
	return p
}

func prefixHash(x uint32) uint32 { return (x * 0x9E3779B1) >> 16 }

// back is how far before a candidate position a value may start.
func (p *prefilter) back() int { return p.maxOff }

// tail is how many bytes at the end of a window without a candidate may
// still begin a value cut by the window's end.
func (p *prefilter) tail(maxLen int) int {
	if p.bits != nil {
		return prefixLen - 1
	}
	return maxLen - 1
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

// next returns the first candidate position at or after i (a rare byte,
// or where a value's prefix may start), or len(buf) when there is none.
// Calls for one window must come with i not decreasing.
func (p *prefilter) next(buf []byte, i int, h *hits) int {
	if p.bits != nil {
		if h[0] < i {
			h[0] = p.nextPrefix(buf, i)
		}
		return h[0]
	}
	first := len(buf)
	for k := range p.rare {
		if h[k] < i {
			h[k] = p.nextRare(buf, i, k)
		}
		first = min(first, h[k])
	}
	return first
}

// nextRare returns the first position at or after i that holds rare byte
// k where one of its values may be, or len(buf).
func (p *prefilter) nextRare(buf []byte, i, k int) int {
	b := p.rare[k]
	for i < len(buf) {
		j := bytes.IndexByte(buf[i:], b)
		if j < 0 {
			return len(buf)
		}
		j += i
		if p.mayStart(buf, j, k) {
			return j
		}
		i = j + 1
	}
	return len(buf)
}

// mayStart reports whether one of rare byte k's values may hold its rare
// byte at buf[j]: the bytes of buf around it agree with the value as far
// as both go. A value that would start before buf is not ruled out.
func (p *prefilter) mayStart(buf []byte, j, k int) bool {
	for _, pr := range p.pairs[k] {
		s := j - pr.off
		if s < 0 {
			return true
		}
		n := min(len(pr.val), verifyLen, len(buf)-s)
		if string(buf[s:s+n]) == pr.val[:n] {
			return true
		}
	}
	return false
}

func (p *prefilter) nextPrefix(buf []byte, i int) int {
	bits := p.bits
	// Five positions from each 8-byte load.
	for ; i+8 <= len(buf); i += 5 {
		x := binary.LittleEndian.Uint64(buf[i:])
		for k := 0; k < 5; k++ {
			h := prefixHash(uint32(x >> (8 * k)))
			if bits[h>>6]&(1<<(h&63)) != 0 {
				return i + k
			}
		}
	}
	for ; i+prefixLen <= len(buf); i++ {
		h := prefixHash(binary.LittleEndian.Uint32(buf[i:]))
		if bits[h>>6]&(1<<(h&63)) != 0 {
			return i
		}
	}
	return len(buf)
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
