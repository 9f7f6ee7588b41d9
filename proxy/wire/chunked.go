package wire

import "bytes"

// chunked follows a chunked body the way net/http's reader takes it: a
// chunk-size line (hex digits, optional extensions after ';', trailing
// whitespace ignored), the data, CRLF; a zero size ends the chunks, then
// trailer lines end with an empty line.
func (f *Framer) chunked(b []byte) (int, *Error) {
	switch f.st {
	case stChunkData:
		k := int(min(int64(len(b)), f.left))
		if f.left -= int64(k); f.left == 0 {
			f.st, f.crlf = stChunkCRLF, 0
		}
		return k, nil
	case stChunkCRLF:
		return f.chunkCRLF(b)
	}
	k, line, ok := f.takeLine(b)
	if len(f.line) > maxChunkLine || len(line) > maxChunkLine {
		return 0, badBody("chunk line too long")
	}
	if !ok {
		return k, nil
	}
	if f.st == stTrailer {
		return k, f.trailerLine(line)
	}
	size, err := chunkSize(line)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		f.st = stTrailer
	} else {
		f.st, f.left = stChunkData, size
	}
	return k, nil
}

// takeLine gathers a line up to LF. It reports the bytes used and, once
// the line is complete, the line without its LF.
func (f *Framer) takeLine(b []byte) (int, []byte, bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		f.line = append(f.line, b[:min(len(b), maxChunkLine+1-len(f.line))]...)
		return len(b), nil, false
	}
	if len(f.line)+i > maxChunkLine {
		return 0, b[:i], false
	}
	f.line = append(f.line, b[:i]...)
	line := f.line
	f.line = f.line[:0]
	return i + 1, line, true
}

func (f *Framer) chunkCRLF(b []byte) (int, *Error) {
	k := 0
	for k < len(b) && f.crlf < 2 {
		if b[k] != "\r\n"[f.crlf] {
			return 0, badBody("malformed chunked encoding: chunk data not followed by CRLF")
		}
		k++
		f.crlf++
	}
	if f.crlf == 2 {
		f.st = stChunkSize
	}
	return k, nil
}

// maxTrailer bounds the trailer section: net/http wants all of it within
// its 4 KiB read buffer.
const maxTrailer = 2048

// trailerLine takes one trailer line; net/http wants CRLF line ends there.
func (f *Framer) trailerLine(line []byte) *Error {
	line, ok := withoutCR(line)
	if !ok {
		return badBody("malformed trailer: lines must end in CRLF")
	}
	if len(line) == 0 {
		f.st = stIdle
		return nil
	}
	if f.lines += len(line) + 2; f.lines > maxTrailer {
		return badBody("trailer section too long")
	}
	name, value, ok := bytes.Cut(line, []byte{':'})
	if !ok || len(name) == 0 || !allToken(name) || !validValue(value) {
		return badBody("malformed trailer line")
	}
	return nil
}

// withoutCR checks that a line (its LF removed) ends in CR and has no
// other CR, and strips it.
func withoutCR(line []byte) ([]byte, bool) {
	i := bytes.IndexByte(line, '\r')
	if i < 0 || i != len(line)-1 {
		return nil, false
	}
	return line[:i], true
}

func chunkSize(line []byte) (int64, *Error) {
	line, ok := withoutCR(line)
	if !ok {
		return 0, badBody("malformed chunk line: it must end in CRLF")
	}
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > 15 {
		return 0, badBody("malformed chunk size")
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, badBody("malformed chunk size")
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}
