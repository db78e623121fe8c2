package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// lineClass is what a line of the history file turned out to be.
type lineClass uint8

const (
	lineEvent lineClass = iota // a valid event of this format version
	lineBlank                  // empty or whitespace only: ignored
	lineBad                    // unreadable: kept in the file and reported
	lineNewer                  // an event of a newer format version: kept, not folded
	lineKeep                   // compaction: an event that stays
)

// decoder turns lines into events. It is not safe for concurrent use.
//
// encoding/json alone reads about 40 MB/s here, too slow to load 100,000
// submissions in half a second, so the decoder first tries fastDecode, a
// parser for lines as Append writes them. fastDecode gives up on anything it
// is not sure of (unknown keys, null, duplicate keys, lone surrogates,
// invalid UTF-8, numbers that are not plain integers, ...), and
// encoding/json decides those lines.
// The fuzz target checks that whenever fastDecode accepts a line,
// encoding/json accepts it too and yields the same event.
type decoder struct {
	strs   map[string]string // small repeated values, shared between events
	recent [256]string       // the last of them seen, by a cheap hash
	mtime  time.Time         // where Event.MTime points, to spare an allocation
}

func newDecoder() *decoder { return &decoder{strs: make(map[string]string)} }

// idSource gives the string of an id already known, so that the events of a
// submission share one copy of it.
type idSource interface {
	knownID(id []byte) (string, bool)
}

// decode reads one line, without its newline, into ev. For lineBad, reason
// says why; for lineNewer, ev.V is the line's version. ev.MTime may point
// into d: it is only valid until the next call. ids may be nil.
func (d *decoder) decode(line []byte, ev *Event, ids idSource) (class lineClass, reason string) {
	*ev = Event{}
	if isBlank(line) {
		return lineBlank, ""
	}
	if !fastDecode(line, ev, d, ids) {
		*ev = Event{}
		if err := json.Unmarshal(line, ev); err != nil {
			// A newer format may change a field's type; it is still a newer
			// line, not a broken one, if its version can be read.
			var v struct {
				V int `json:"v"`
			}
			if json.Unmarshal(line, &v) == nil && v.V > FormatVersion {
				ev.V = v.V
				return lineNewer, ""
			}
			return lineBad, jsonReason(err)
		}
	}
	switch {
	case ev.V > FormatVersion:
		return lineNewer, ""
	case ev.V == 0:
		return lineBad, "no format version (\"v\")"
	case ev.V < 0:
		return lineBad, fmt.Sprintf("invalid format version %d", ev.V)
	case ev.ID == "":
		return lineBad, "no submission id (\"id\")"
	case !ev.Kind.valid():
		return lineBad, fmt.Sprintf("unknown kind %q", ev.Kind)
	}
	return lineEvent, ""
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not a JSON object (%v at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q holds a JSON %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("not a JSON object (a JSON %s)", typ.Value)
	}
	return "not a history event (" + err.Error() + ")"
}

func (k Kind) valid() bool {
	switch k {
	case KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden:
		return true
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// intern returns b as a string, sharing the memory of equal short values
// (hosts, tasks, models, statuses, option names): a history repeats them on
// every line.
func (d *decoder) intern(b []byte) string {
	if len(b) > 64 {
		return string(b)
	}
	if len(b) == 0 {
		return ""
	}
	// Most lines repeat the values of the line before: a look in a small
	// table, on a hash of three bytes and the length, spares hashing the
	// whole value for the map.
	slot := &d.recent[(len(b)*131+int(b[0])*31+int(b[len(b)/2])*7+int(b[len(b)-1]))&255]
	if *slot == string(b) {
		return *slot
	}
	s, ok := d.strs[string(b)]
	if !ok {
		s = string(b)
		if len(d.strs) < 4096 {
			d.strs[s] = s
		}
	}
	*slot = s
	return s
}

// The fields fastDecode knows, one bit each to catch duplicate keys (which
// it leaves to encoding/json).
const (
	fV = iota
	fKind
	fID
	fTime
	fHost
	fPID
	fFile
	fSize
	fMTime
	fTask
	fEndpoint
	fModel
	fOptions
	fResubmitOf
	fBatchID
	fAccountID
	fEndpointID
	fHTTPStatus
	fMessage
	fStatus
	fResultPath
	fFingerprint
)

// fieldOf returns the field a key names, or -1. Length, first and last
// byte tell the keys apart (the compiler rejects duplicate cases); one
// comparison confirms.
func fieldOf(key []byte) int {
	if len(key) == 0 {
		return -1
	}
	f := -1
	switch len(key)<<16 | int(key[0])<<8 | int(key[len(key)-1]) {
	case 1<<16 | 'v'<<8 | 'v':
		f = fV
	case 4<<16 | 'k'<<8 | 'd':
		f = fKind
	case 2<<16 | 'i'<<8 | 'd':
		f = fID
	case 4<<16 | 't'<<8 | 'e':
		f = fTime
	case 4<<16 | 'h'<<8 | 't':
		f = fHost
	case 3<<16 | 'p'<<8 | 'd':
		f = fPID
	case 4<<16 | 'f'<<8 | 'e':
		f = fFile
	case 4<<16 | 's'<<8 | 'e':
		f = fSize
	case 5<<16 | 'm'<<8 | 'e':
		f = fMTime
	case 4<<16 | 't'<<8 | 'k':
		f = fTask
	case 8<<16 | 'e'<<8 | 't':
		f = fEndpoint
	case 5<<16 | 'm'<<8 | 'l':
		f = fModel
	case 7<<16 | 'o'<<8 | 's':
		f = fOptions
	case 11<<16 | 'r'<<8 | 'f':
		f = fResubmitOf
	case 8<<16 | 'b'<<8 | 'd':
		f = fBatchID
	case 10<<16 | 'a'<<8 | 'd':
		f = fAccountID
	case 11<<16 | 'e'<<8 | 'd':
		f = fEndpointID
	case 11<<16 | 'h'<<8 | 's':
		f = fHTTPStatus
	case 7<<16 | 'm'<<8 | 'e':
		f = fMessage
	case 6<<16 | 's'<<8 | 's':
		f = fStatus
	case 11<<16 | 'r'<<8 | 'h':
		f = fResultPath
	case 11<<16 | 'f'<<8 | 't':
		f = fFingerprint
	default:
		return -1
	}
	if fieldNames[f] != string(key) {
		return -1
	}
	return f
}

var fieldNames = [...]string{
	fV: "v", fKind: "kind", fID: "id", fTime: "time", fHost: "host", fPID: "pid",
	fFile: "file", fSize: "size", fMTime: "mtime", fTask: "task", fEndpoint: "endpoint",
	fModel: "model", fOptions: "options", fResubmitOf: "resubmit_of", fBatchID: "batch_id",
	fAccountID: "account_id", fEndpointID: "endpoint_id", fHTTPStatus: "http_status",
	fMessage: "message", fStatus: "status", fResultPath: "result_path", fFingerprint: "fingerprint",
}

type fastParser struct {
	b   []byte
	i   int
	d   *decoder
	ids idSource
	buf []byte // unescaped string bytes
}

// fastDecode parses line into ev and reports whether it could; false means
// "ask encoding/json", never "invalid".
func fastDecode(line []byte, ev *Event, d *decoder, ids idSource) bool {
	p := fastParser{b: line, d: d, ids: ids}
	p.ws()
	if !p.eat('{') {
		return false
	}
	p.ws()
	if !p.eat('}') {
		var seen uint32
		for {
			p.ws()
			key, ok := p.rawString()
			if !ok {
				return false
			}
			f := fieldOf(key)
			if f < 0 || seen&(1<<f) != 0 {
				return false
			}
			seen |= 1 << f
			p.ws()
			if !p.eat(':') {
				return false
			}
			p.ws()
			if !p.value(f, ev) {
				return false
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			return false
		}
	}
	p.ws()
	return p.i == len(p.b)
}

func (p *fastParser) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *fastParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) value(f int, ev *Event) bool {
	var ok bool
	switch f {
	case fV:
		ev.V, ok = p.int()
	case fPID:
		ev.PID, ok = p.int()
	case fHTTPStatus:
		ev.HTTPStatus, ok = p.int()
	case fSize:
		ev.Size, ok = p.int64()
	case fTime:
		ok = p.time(&ev.Time)
	case fMTime:
		if ok = p.time(&p.d.mtime); ok {
			ev.MTime = &p.d.mtime
		}
	case fOptions:
		ev.Options, ok = p.options()
	case fKind:
		var b []byte
		if b, ok = p.str(); ok {
			ev.Kind = p.kind(b)
		}
	default:
		var b []byte
		if b, ok = p.str(); !ok {
			return false
		}
		switch f {
		case fID:
			known := false
			if p.ids != nil {
				ev.ID, known = p.ids.knownID(b)
			}
			if !known {
				ev.ID = string(b)
			}
		case fHost:
			ev.Host = p.d.intern(b)
		case fFile:
			ev.File = string(b)
		case fTask:
			ev.Task = p.d.intern(b)
		case fEndpoint:
			ev.Endpoint = p.d.intern(b)
		case fModel:
			ev.Model = p.d.intern(b)
		case fResubmitOf:
			ev.ResubmitOf = string(b)
		case fBatchID:
			ev.BatchID = string(b)
		case fAccountID:
			ev.AccountID = p.d.intern(b)
		case fEndpointID:
			ev.EndpointID = p.d.intern(b)
		case fMessage:
			ev.Message = string(b)
		case fStatus:
			ev.Status = p.d.intern(b)
		case fResultPath:
			ev.ResultPath = string(b)
		case fFingerprint:
			ev.Fingerprint = string(b)
		}
	}
	return ok
}

func (p *fastParser) kind(b []byte) Kind {
	for _, k := range [...]Kind{KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden} {
		if string(k) == string(b) {
			return k
		}
	}
	return Kind(p.d.intern(b))
}

// int64 reads a plain JSON integer: an optional minus and up to 18 digits,
// no leading zero, no fraction or exponent.
func (p *fastParser) int64() (int64, bool) {
	neg := p.eat('-')
	start := p.i
	var n int64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 18 || (digits > 1 && p.b[start] == '0') {
		return 0, false
	}
	if p.i < len(p.b) {
		if c := p.b[p.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

func (p *fastParser) int() (int, bool) {
	n, ok := p.int64()
	if !ok || n < -1<<(strconv.IntSize-1) || n > 1<<(strconv.IntSize-1)-1 {
		return 0, false
	}
	return int(n), true
}

// rawString reads a string without escapes and returns its bytes, which
// alias the line. Keys and timestamps never need escapes.
func (p *fastParser) rawString() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	rest := p.b[p.i:]
	ascii := true
	for j := nextSpecial(rest, 0); j < len(rest); j = nextSpecial(rest, j+1) {
		switch strByte[rest[j]] {
		case sbQuote:
			s := rest[:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			p.i += j + 1
			return s, true
		case sbHigh:
			ascii = false
		default:
			return nil, false
		}
	}
	return nil, false
}

// nextSpecial returns the index of the first byte of b[j:] that is not
// sbPlain, or len(b), looking at eight bytes at a time.
func nextSpecial(b []byte, j int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; j+8 <= len(b); j += 8 {
		x := binary.LittleEndian.Uint64(b[j:])
		q := x ^ ('"' * lo)
		bs := x ^ ('\\' * lo)
		// The classic "has a zero byte" and "has a byte less than n" tricks:
		// bit 7 of the lowest flagged byte is exact (only bytes above a hit
		// may be flagged falsely, and they are never looked at).
		m := (q-lo)&^q | (bs-lo)&^bs | (x-0x20*lo)&^x | x
		if m &= hi; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for ; j < len(b); j++ {
		if strByte[b[j]] != sbPlain {
			return j
		}
	}
	return j
}

// strByte sorts the bytes of a JSON string for rawString.
var strByte = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '"':
			t[c] = sbQuote
		case c < 0x20 || c == '\\':
			t[c] = sbStop
		case c >= utf8.RuneSelf:
			t[c] = sbHigh
		}
	}
	return t
}()

const (
	sbPlain = iota
	sbQuote
	sbHigh // part of a multi-byte character
	sbStop // a control character or a backslash: not for rawString
)

// str reads a string, unescaping it if needed. The bytes are only valid
// until the next call.
func (p *fastParser) str() ([]byte, bool) {
	save := p.i
	if s, ok := p.rawString(); ok {
		return s, true
	}
	p.i = save
	if !p.eat('"') {
		return nil, false
	}
	p.buf = p.buf[:0]
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(p.buf) {
				return nil, false // encoding/json replaces bad bytes with U+FFFD
			}
			return p.buf, true
		case c < 0x20:
			return nil, false
		case c != '\\':
			p.buf = append(p.buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return nil, false
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			p.buf = append(p.buf, e)
		case 'b':
			p.buf = append(p.buf, '\b')
		case 'f':
			p.buf = append(p.buf, '\f')
		case 'n':
			p.buf = append(p.buf, '\n')
		case 'r':
			p.buf = append(p.buf, '\r')
		case 't':
			p.buf = append(p.buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				// Only a well-formed pair; encoding/json decides the rest.
				if !p.eat('\\') || !p.eat('u') {
					return nil, false
				}
				r2, ok := p.hex4()
				if !ok {
					return nil, false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, false
				}
			}
			p.buf = utf8.AppendRune(p.buf, r)
		default:
			return nil, false
		}
	}
	return nil, false
}

func (p *fastParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// time reads a timestamp exactly as encoding/json would, through
// time.Time's own UnmarshalJSON.
func (p *fastParser) time(t *time.Time) bool {
	start := p.i
	if _, ok := p.rawString(); !ok {
		return false
	}
	return t.UnmarshalJSON(p.b[start:p.i]) == nil
}

func (p *fastParser) options() (map[string]string, bool) {
	if !p.eat('{') {
		return nil, false
	}
	m := make(map[string]string, 8)
	p.ws()
	if p.eat('}') {
		return m, true
	}
	for {
		p.ws()
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		key := p.d.intern(k)
		p.ws()
		if !p.eat(':') {
			return nil, false
		}
		p.ws()
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		m[key] = p.d.intern(v)
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return m, true
		}
		return nil, false
	}
}
