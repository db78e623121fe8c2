package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Brief is a submission as Skim reads it: the fields of its Submission that
// name it and tell its state, folded by the rules Load folds with.
type Brief struct {
	ID, File, BatchID, AccountID, ServerStatus, ResultPath string
	Outcome                                                Outcome
	// StatusHTTPStatus is the HTTP error the last check got instead of a
	// status (404: the server does not know the job).
	StatusHTTPStatus int
	Hidden           bool
}

// briefOf takes a Brief's fields from s.
func briefOf(s *Submission) Brief {
	return Brief{ID: s.ID, File: s.File, BatchID: s.BatchID, AccountID: s.AccountID, ServerStatus: s.ServerStatus,
		ResultPath: s.ResultPath, Outcome: s.Outcome, StatusHTTPStatus: s.StatusHTTPStatus, Hidden: s.Hidden}
}

// Submission returns b as a Submission with only b's fields set: all that
// the rules judging a job read (submit.NeedsCheck, submit.RecordedState).
func (b *Brief) Submission() Submission {
	return Submission{ID: b.ID, File: b.File, BatchID: b.BatchID, AccountID: b.AccountID, ServerStatus: b.ServerStatus,
		ResultPath: b.ResultPath, Outcome: b.Outcome, StatusHTTPStatus: b.StatusHTTPStatus, Hidden: b.Hidden}
}

// Skim reads the history at path for shell completion, which must answer
// within 100 ms on 100,000 submissions, where Load takes several times
// that. It reads the file as Load does, only faster:
//
//   - in pieces of a few MiB, which one goroutine per CPU reads with Load's
//     line reader, taking from a line as Append writes it only the fields
//     a Brief is folded from (skimLine), and decoding any other line as
//     Load does;
//   - folding the events of each piece, in file order, as soon as the
//     pieces before it are folded, with Load's rules (foldEvent), into a
//     Submission that holds only a Brief's fields between events: a
//     completion process touches a fraction of the memory Load's
//     Submissions take.
//
// The Briefs come oldest first by first event, as History.Submissions.
// Lines that cannot be read are skipped without a word: Skim never
// reports, writes, locks or creates anything (a missing file is an empty
// history), so it is for read-only hints, never for decisions about the
// history.
func Skim(path string) ([]Brief, error) {
	return skim(path, (*skimReader).skimLine, 2<<20)
}

// skimFunc reads skimmed's fields from one line, and reports whether it
// did; false leaves the line to Load's decoder.
type skimFunc func(sr *skimReader, line []byte, ev *skimmed) bool

// skim is Skim reading lines with read (BenchmarkSkim100k measures a JSON
// library in skimLine's place) in pieces of about pieceSize bytes: small
// enough that the fold, which takes them in file order, never waits long
// for the next one; tests cut small files into many.
func skim(path string, read skimFunc, pieceSize int64) ([]Brief, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	bounds, err := splitLines(f, fi.Size(), int(fi.Size()/pieceSize)+1)
	if err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	run := newSkimRun(bounds)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(run.pieces)) {
		wg.Go(func() {
			sr := &skimReader{dec: newDecoder(), lines: newLineReader(nil, 0, int(min(fi.Size(), 256<<10))), read: read}
			for i := run.next.Add(1) - 1; i < int64(len(run.pieces)); i = run.next.Add(1) - 1 {
				p := &run.pieces[i]
				var evs []skimmed
				select {
				case evs = <-run.free:
				default:
				}
				if evs == nil {
					// About 270 bytes a line, as Append writes them.
					evs = make([]skimmed, 0, pieceSize/200)
				}
				p.evs, p.err = sr.piece(io.NewSectionReader(f, p.start, p.end-p.start), evs)
				run.done(p)
			}
		})
	}
	wg.Wait()
	run.foldRest()
	if run.err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, run.err)
	}
	return run.sf.briefs, nil
}

// splitLines cuts the file's size bytes into about n pieces that each start
// at the start of a line, and returns their bounds (n+1 offsets at most).
func splitLines(f *os.File, size int64, n int) ([]int64, error) {
	bounds := []int64{0}
	buf := make([]byte, 4<<10)
	for k := 1; k < n; k++ {
		// The first line that starts at or after size*k/n, unless the last
		// bound is that line.
		at := size*int64(k)/int64(n) - 1
		if at < bounds[len(bounds)-1] {
			continue
		}
		for at < size {
			m, err := f.ReadAt(buf, at)
			if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
				at += int64(i) + 1
				break
			}
			if err == io.EOF {
				at = size
				break
			}
			if err != nil {
				return nil, err
			}
			at += int64(m)
		}
		if at < size {
			bounds = append(bounds, at)
		}
	}
	return append(bounds, size), nil
}

// skimRun is one Skim: its pieces, each read by one CPU, about in file
// order, and their events folded in file order as soon as they are read.
type skimRun struct {
	pieces []skimPiece
	next   atomic.Int64   // the next piece to read
	free   chan []skimmed // the events of folded pieces, to read others into

	// Whoever holds mu folds: a reader done with a piece, unless another
	// is folding. No reader waits for another.
	mu     sync.Mutex
	folded int // how many pieces are folded
	sf     skimFolder
	err    error // the first piece that could not be read ends the fold
}

// newSkimRun makes the run of a file cut at bounds.
func newSkimRun(bounds []int64) *skimRun {
	run := &skimRun{pieces: make([]skimPiece, len(bounds)-1)}
	for i := range run.pieces {
		run.pieces[i] = skimPiece{start: bounds[i], end: bounds[i+1]}
	}
	run.free = make(chan []skimmed, len(run.pieces))
	// Lines as Append writes them take about 800 bytes per submission:
	// sized for a little more, the Briefs and the index never grow.
	n := bounds[len(bounds)-1] / 700
	run.sf = skimFolder{index: make(map[string]int32, n), briefs: make([]Brief, 0, n), hasOutcome: make([]bool, 0, n)}
	return run
}

// skimPiece is a part of the file that starts at the start of a line, and
// what reading it gave.
type skimPiece struct {
	start, end int64
	evs        []skimmed
	err        error
	read       atomic.Bool // evs and err are set
}

// done records p as read, and folds the pieces read and not folded yet,
// in file order, unless another reader is folding them: a piece that one
// leaves behind is folded by the next reader done, or by foldRest.
func (run *skimRun) done(p *skimPiece) {
	p.read.Store(true)
	if run.mu.TryLock() {
		run.foldRead()
		run.mu.Unlock()
	}
}

// foldRest folds the pieces left once every reader is done.
func (run *skimRun) foldRest() {
	run.mu.Lock()
	run.foldRead()
	run.mu.Unlock()
}

// foldRead folds the pieces read and not folded yet, in file order. The
// caller holds mu.
func (run *skimRun) foldRead() {
	for ; run.folded < len(run.pieces) && run.pieces[run.folded].read.Load(); run.folded++ {
		p := &run.pieces[run.folded]
		switch {
		case run.err != nil:
		case p.err != nil:
			run.err = p.err
			run.next.Store(int64(len(run.pieces))) // read no more
		default:
			for j := range p.evs {
				run.sf.fold(&p.evs[j])
			}
		}
		run.free <- p.evs[:0]
		p.evs = nil
	}
}

// skimReader reads pieces of the file, one after another.
type skimReader struct {
	dec    *decoder
	lines  *lineReader
	read   skimFunc
	ev     Event  // what dec decodes
	lastID string // the id read last
}

// piece appends the events of r, which starts at the start of a line, to
// evs.
func (sr *skimReader) piece(r io.Reader, evs []skimmed) ([]skimmed, error) {
	sr.lines.reset(r, 0)
	for {
		l, err := sr.lines.next()
		if err == io.EOF {
			return evs, nil
		}
		if err != nil {
			return nil, err
		}
		// A last line without a newline is torn, and never folded, as by
		// Load; so is a line too long for Load to read.
		if !l.complete || l.tooLong {
			continue
		}
		if len(evs) == cap(evs) {
			evs = slices.Grow(evs, 1)
		}
		evs = evs[:len(evs)+1]
		ev := &evs[len(evs)-1]
		if sr.read(sr, l.data, ev) {
			continue
		}
		if class, _ := sr.dec.decode(l.data, &sr.ev); class == lineEvent {
			*ev = skimmedOf(&sr.ev)
		} else {
			evs = evs[:len(evs)-1]
		}
	}
}

// skimmed is an event as Skim keeps it between reading and folding: the
// fields of Event that a Brief's fields are folded from.
type skimmed struct {
	Kind                                             Kind
	ID, File, BatchID, AccountID, Status, ResultPath string
	HTTPStatus                                       int
}

func skimmedOf(ev *Event) skimmed {
	return skimmed{Kind: ev.Kind, ID: ev.ID, File: ev.File, BatchID: ev.BatchID, AccountID: ev.AccountID,
		Status: ev.Status, ResultPath: ev.ResultPath, HTTPStatus: ev.HTTPStatus}
}

// setIn sets sk's fields of ev.
func (sk *skimmed) setIn(ev *Event) {
	ev.Kind, ev.ID, ev.File, ev.BatchID, ev.AccountID, ev.Status, ev.ResultPath, ev.HTTPStatus =
		sk.Kind, sk.ID, sk.File, sk.BatchID, sk.AccountID, sk.Status, sk.ResultPath, sk.HTTPStatus
}

// skimFolder folds events into Briefs with foldEvent, Load's rules.
type skimFolder struct {
	briefs     []Brief
	hasOutcome []bool // each Brief's subState.hasOutcome: the rules' one state besides the fields
	index      map[string]int32
	ev         Event  // the event folded: only skimmed's fields are ever set
	last       int32  // the index of the Brief folded last
	maxID      string // the greatest id in the index
}

func (sf *skimFolder) fold(sk *skimmed) {
	ev := &sf.ev
	sk.setIn(ev)
	var s Submission
	i, ok := sf.find(ev.ID)
	if ok {
		s = sf.briefs[i].Submission()
	} else {
		i = int32(len(sf.briefs))
		s = newSubmission(ev)
		sf.briefs = append(sf.briefs, Brief{})
		sf.hasOutcome = append(sf.hasOutcome, false)
		sf.index[ev.ID] = i
		sf.maxID = max(sf.maxID, ev.ID)
	}
	// The line numbers the rules keep for compaction are of no use here.
	st := subState{hasOutcome: sf.hasOutcome[i]}
	foldEvent(&s, &st, ev, 0)
	sf.briefs[i], sf.hasOutcome[i] = briefOf(&s), st.hasOutcome
	sf.last = i
}

// find returns the index of id's Brief. A submission's first events mostly
// come together (started, then submitted), so the last one folded is tried
// first; and ids grow with time, so a submission's first event mostly
// carries an id above every one seen so far, which need not be looked for.
func (sf *skimFolder) find(id string) (int32, bool) {
	switch {
	case len(sf.briefs) > 0 && sf.briefs[sf.last].ID == id:
		return sf.last, true
	case id > sf.maxID:
		return 0, false
	}
	i, ok := sf.index[id]
	return i, ok
}

// skimPrefix starts every line Append writes in this format version.
var skimPrefix = []byte(`{"v":1,"kind":"`)

// skimLine reads a line as Append writes it (encoding/json's output: no
// spaces, v, kind and id first), walking its keys and values, and takes
// skimmed's fields; any other line, and any line with an escape, it leaves
// to the decoder.
//
// It is hand-written because shell completion must answer within 100 ms on
// two cores, and goccy/go-json cannot: decoding only skimmed's fields, in
// skimLine's place in the same rounds of BenchmarkSkim100k, Skim took
// 150 ms to skimLine's 92 (medians of 8, 290 ms of CPU to 177), 1.6 to 1.7
// times the CPU in every round (store/README.md, Skim).
//
// It reads what the decoder reads from every line Append writes, and
// refuses every line cut short (a torn line a later append healed): the
// walk ends only at the line's last byte, closing its object. Keys repeated
// or in another order read as the decoder reads them; a key Event has no
// field for, or in other case than its tag, leaves the line to the
// decoder. A line edited by hand may still differ: a time that is not one,
// or raw control characters or invalid UTF-8 in a string, make the line
// unreadable to the decoder and not to skimLine. Harmless for completion
// hints, and the reason Skim is for nothing else. TestSkimAgreesWithLoad,
// FuzzSkim and FuzzSkimLine hold it to Load.
func (sr *skimReader) skimLine(line []byte, ev *skimmed) bool {
	rest, ok := bytes.CutPrefix(line, skimPrefix)
	if !ok || bytes.IndexByte(rest, '\\') >= 0 {
		return false
	}
	kind, rest, ok := cutString(rest)
	if !ok {
		return false
	}
	k := internKind(kind)
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"id":"`)); !ok || !k.valid() {
		return false
	}
	id, rest, ok := cutString(rest)
	if !ok || len(id) == 0 {
		return false
	}
	*ev = skimmed{Kind: k, ID: sr.sameID(id)}
	for {
		if len(rest) == 1 && rest[0] == '}' {
			return true
		}
		if len(rest) < 2 || rest[0] != ',' || rest[1] != '"' {
			return false
		}
		key, r, ok := cutString(rest[2:])
		if !ok || len(r) < 2 || r[0] != ':' {
			return false
		}
		r = r[1:]
		switch typ, str, num := ev.field(key); typ {
		case jsonString:
			var v []byte
			if r[0] != '"' {
				return false
			}
			if v, r, ok = cutString(r[1:]); !ok {
				return false
			}
			switch str {
			case nil:
			case &ev.AccountID, &ev.Status: // the same few values on every line
				*str = sr.dec.internBytes(v)
			default:
				*str = string(v)
			}
		case jsonNumber:
			var n int
			if n, r, ok = cutInt(r); !ok {
				return false
			}
			if num != nil {
				*num = n
			}
		case jsonFloat:
			if r, ok = skipFloat(r); !ok {
				return false
			}
		case jsonObject:
			if r, ok = skipStringMap(r); !ok {
				return false
			}
		default: // a key Event has no field for, or in other case than its tag
			return false
		}
		rest = r
	}
}

// JSON value types, as skimmed.field gives them.
const (
	jsonNone = iota
	jsonString
	jsonNumber // an integer
	jsonFloat  // any number, skipped unread
	jsonObject
)

// field returns the JSON type of the value of Event's field tagged key
// (jsonNone for a key Event has no field for) and, for a field skimmed
// has, where its value goes. TestSkimKnowsEveryKey holds it to the tags of
// Event and skimmed: a key missing here would only send its lines to the
// decoder.
func (ev *skimmed) field(key []byte) (typ int, str *string, num *int) {
	switch string(key) {
	case "file":
		return jsonString, &ev.File, nil
	case "batch_id":
		return jsonString, &ev.BatchID, nil
	case "account_id":
		return jsonString, &ev.AccountID, nil
	case "status":
		return jsonString, &ev.Status, nil
	case "result_path":
		return jsonString, &ev.ResultPath, nil
	case "http_status":
		return jsonNumber, nil, &ev.HTTPStatus
	case "time", "host", "mtime", "task", "endpoint", "model", "resubmit_of", "fingerprint", "endpoint_id", "message":
		return jsonString, nil, nil
	case "pid", "size":
		return jsonNumber, nil, nil
	case "duration_s":
		return jsonFloat, nil, nil
	case "options":
		return jsonObject, nil, nil
	}
	return jsonNone, nil, nil
}

// cutString reads a JSON string's contents up to its closing quote, and
// what follows it, in a line without escapes.
func cutString(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// cutInt reads an integer as encoding/json writes one, of 18 digits at
// most, which any int holds.
func cutInt(b []byte) (n int, rest []byte, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	i := 0
	for i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == 0 || i > 18 || (b[0] == '0' && i > 1) {
		return 0, nil, false
	}
	if neg {
		n = -n
	}
	return n, b[i:], true
}

// skipFloat skips a JSON number as encoding/json writes a float64
// (-12.5, 3e-07, 1e+21); anything else goes to the decoder.
func skipFloat(b []byte) (rest []byte, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - start
	}
	if n := digits(); n == 0 || (n > 1 && b[i-n] == '0') {
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return b[i:], true
}

// skipStringMap skips a JSON object of strings, in a line without escapes.
func skipStringMap(b []byte) (rest []byte, ok bool) {
	if len(b) < 2 || b[0] != '{' {
		return nil, false
	}
	if b[1] == '}' {
		return b[2:], true
	}
	b = b[1:]
	for {
		if len(b) == 0 || b[0] != '"' {
			return nil, false
		}
		_, r, ok := cutString(b[1:])
		if !ok || len(r) < 2 || r[0] != ':' || r[1] != '"' {
			return nil, false
		}
		if _, r, ok = cutString(r[2:]); !ok || len(r) == 0 {
			return nil, false
		}
		switch r[0] {
		case '}':
			return r[1:], true
		case ',':
			b = r[1:]
		default:
			return nil, false
		}
	}
}

// sameID returns id as a string, the one made last if it is the same: a
// submission's first events mostly come one after the other.
func (sr *skimReader) sameID(id []byte) string {
	if string(id) != sr.lastID {
		sr.lastID = string(id)
	}
	return sr.lastID
}

// internKind returns the Kind constant spelled k, without allocating; an
// unknown kind comes back as itself, and fails Kind.valid.
func internKind(k []byte) Kind {
	switch Kind(k) {
	case KindStarted:
		return KindStarted
	case KindSubmitted:
		return KindSubmitted
	case KindFailed:
		return KindFailed
	case KindUnknown:
		return KindUnknown
	case KindInterrupted:
		return KindInterrupted
	case KindStatus:
		return KindStatus
	case KindHidden:
		return KindHidden
	}
	return Kind(k)
}

// internBytes is decoder.intern for a value not copied out of the line yet.
func (d *decoder) internBytes(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	return d.intern(string(b))
}
