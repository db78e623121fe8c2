package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sync"
)

// Brief is a submission as Skim sees it: what names it and tells its
// state, folded from its events by the same rules as Submission's.
type Brief struct {
	ID, File, BatchID, AccountID, ServerStatus, ResultPath string
	Outcome                                                Outcome
	Hidden                                                 bool

	// What its events held, for merging the Briefs of two pieces of the
	// file: an outcome event, a started event, a status event.
	hasOutcome, hasStarted, hasStatus bool
}

// Submission returns b as a Submission with only b's fields set, for the
// rules that judge one (submit.NeedsCheck and the like).
func (b *Brief) Submission() Submission {
	return Submission{ID: b.ID, File: b.File, Outcome: b.Outcome, BatchID: b.BatchID, AccountID: b.AccountID,
		ServerStatus: b.ServerStatus, ResultPath: b.ResultPath, Hidden: b.Hidden}
}

// Skim reads the history at path for shell completion, which must answer
// within 100 ms on 100,000 submissions, where Load takes several times
// that: it decodes only the fields of a Brief, and keeps nothing else. A
// large file is read in pieces, one per CPU, folded each on its own and
// then merged in file order.
//
// The Briefs come oldest first by first event, as History.Submissions.
// Lines that cannot be read are skipped without a word: Skim never
// reports, writes, locks or creates anything (a missing file is an empty
// history), so it is for read-only hints, never for decisions about the
// history. TestSkimAgreesWithLoad holds it to Load.
func Skim(path string) ([]Brief, error) {
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
	bounds, err := splitLines(f, fi.Size(), skimPieces(fi.Size()))
	if err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	pieces := make([]*skimmer, len(bounds)-1)
	errs := make([]error, len(pieces))
	var wg sync.WaitGroup
	for i := range pieces {
		wg.Go(func() {
			start, end := bounds[i], bounds[i+1]
			// The first piece takes in the others: room for the whole file.
			room := end - start
			if i == 0 {
				room = fi.Size()
			}
			pieces[i], errs[i] = skimPiece(io.NewSectionReader(f, start, end-start), room)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	sk := pieces[0]
	for i, p := range pieces[1:] {
		sk.merge(p, i+2 < len(pieces))
	}
	return sk.briefs, nil
}

// skimPieces is how many pieces Skim reads a file of size bytes in: one
// per CPU, unless the file is small. Tests change it to split small files.
var skimPieces = func(size int64) int {
	if size < 4<<20 {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}

// splitLines cuts the file's size bytes into about n pieces that each start
// at the start of a line, and returns their bounds (n+1 offsets at most).
func splitLines(f *os.File, size int64, n int) ([]int64, error) {
	bounds := []int64{0}
	buf := make([]byte, 64<<10)
	for k := 1; k < n; k++ {
		// The first line that starts at or after size*k/n.
		at := max(size*int64(k)/int64(n)-1, bounds[len(bounds)-1])
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
		if at < size && at > bounds[len(bounds)-1] {
			bounds = append(bounds, at)
		}
	}
	return append(bounds, size), nil
}

// skimPiece folds the lines of r, which start at the start of a line, into
// a skimmer of its own with room for the submissions of room bytes.
func skimPiece(r io.Reader, room int64) (*skimmer, error) {
	// Lines as fwbatch writes them take about 800 bytes per submission:
	// sized a little over that, the index and the Briefs never grow.
	n := int(min(room/640, 1<<22))
	sk := &skimmer{index: make(map[string]int32, n), briefs: make([]Brief, 0, n), last: -1}
	buf := make([]byte, 1<<20)
	have := 0         // bytes at the start of buf not folded yet
	skipping := false // inside a line longer than maxLine, which Load never reads either
	for {
		n, err := r.Read(buf[have:])
		have += n
		chunk := buf[:have]
		for {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			if !skipping && sk.line(chunk[:i]) {
				sk.apply()
			}
			skipping = false
			chunk = chunk[i+1:]
		}
		// What is left is the start of a line. A last line without a
		// newline is torn, and never folded.
		have = copy(buf, chunk)
		if have == len(buf) {
			if len(buf) > maxLine {
				skipping, have = true, 0
			} else {
				buf = append(buf, make([]byte, len(buf))...)
			}
		}
		if err == io.EOF {
			return sk, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// skimmer folds skimmed lines into Briefs.
type skimmer struct {
	briefs []Brief
	index  map[string]int32
	ev     Event  // the line just read; only Brief's fields are set
	at     int32  // the index of ev's Brief, -1 for a new one
	last   int32  // the index of the Brief folded last, -1 for none
	maxID  string // the greatest id in the index
	// The last values seen of fields that repeat from line to line, so
	// that they are not allocated again each time.
	account, status string
}

// apply folds sk.ev into its Brief. The rules are History.apply's, for
// Brief's fields.
func (sk *skimmer) apply() {
	ev := &sk.ev
	i := sk.at
	if i < 0 {
		i = int32(len(sk.briefs))
		sk.briefs = append(sk.briefs, Brief{ID: ev.ID, Outcome: OutcomeUnknown})
		sk.index[ev.ID] = i
		sk.maxID = max(sk.maxID, ev.ID)
	}
	sk.last = i
	b := &sk.briefs[i]
	switch ev.Kind {
	case KindStarted:
		b.File, b.hasStarted = ev.File, true
		if !b.hasOutcome {
			b.Outcome = OutcomeUploading
		}
	case KindSubmitted:
		b.Outcome, b.hasOutcome = OutcomeSubmitted, true
		if ev.BatchID != "" {
			b.BatchID = ev.BatchID
		}
		if ev.AccountID != "" {
			b.AccountID = ev.AccountID
		}
	case KindFailed, KindUnknown, KindInterrupted:
		b.Outcome, b.hasOutcome = Outcome(ev.Kind), true
	case KindStatus:
		b.ServerStatus, b.hasStatus = ev.Status, true
		if ev.ResultPath != "" {
			b.ResultPath = ev.ResultPath
		}
	case KindHidden:
		b.Hidden = true
	}
}

// merge folds the Briefs of the piece of the file that follows sk's into
// sk, as if apply had gone on through that piece's lines. Unless more
// pieces follow, the index is not kept up to date.
func (sk *skimmer) merge(next *skimmer, more bool) {
	sk.briefs = slices.Grow(sk.briefs, len(next.briefs))
	for _, b := range next.briefs {
		i, ok := sk.index[b.ID]
		if !ok {
			if more {
				sk.index[b.ID] = int32(len(sk.briefs))
			}
			sk.briefs = append(sk.briefs, b)
			continue
		}
		a := &sk.briefs[i]
		switch {
		case b.hasOutcome: // the last outcome event is b's
			a.Outcome, a.hasOutcome = b.Outcome, true
		case b.hasStarted && !a.hasOutcome: // a started event with no outcome yet
			a.Outcome = OutcomeUploading
		}
		if b.hasStarted {
			a.File, a.hasStarted = b.File, true
		}
		if b.BatchID != "" {
			a.BatchID = b.BatchID
		}
		if b.AccountID != "" {
			a.AccountID = b.AccountID
		}
		if b.hasStatus {
			a.ServerStatus, a.hasStatus = b.ServerStatus, true
		}
		if b.ResultPath != "" {
			a.ResultPath = b.ResultPath
		}
		a.Hidden = a.Hidden || b.Hidden
	}
}

// line reads the fields Skim needs from one line into ev, and reports
// whether the line is an event of this format version.
//
// A line as Append writes it (encoding/json, keys in Event's order) is read
// by looking for the few keys needed, in that order, and skipping the rest
// unread; any other line, and any needed string with an escape in it, goes
// to encoding/json. TestSkimAgreesWithLoad and FuzzSkim hold this to Load
// on every line Append can write. A hand-edited line that starts like
// Append's and then repeats a key or nests one may be read differently from
// Load: harmless for completion hints, and the reason Skim is for nothing
// else.
func (sk *skimmer) line(line []byte) bool {
	ev := &sk.ev
	*ev = Event{}
	rest, ok := bytes.CutPrefix(line, skimPrefix)
	if !ok {
		return sk.slow(line)
	}
	kind, rest, ok := cutString(rest)
	if !ok {
		return sk.slow(line)
	}
	ev.V, ev.Kind = FormatVersion, internKind(kind)
	if !whole(line, ev.Kind == KindStarted) {
		return sk.slow(line)
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"id":"`)); !ok {
		return sk.slow(line)
	}
	id, rest, ok := cutString(rest)
	if !ok {
		return sk.slow(line)
	}
	// One lookup per line, and one copy of the id per submission. A
	// submission's first events mostly come together (started, then
	// submitted), so the last one folded is tried before the index.
	sk.find(id)
	if sk.at >= 0 {
		ev.ID = sk.briefs[sk.at].ID
	} else {
		ev.ID = string(id)
	}
	// Each needed key, in Event's order, and where it goes.
	field := func(key []byte, dst *string, share *string) bool {
		i := bytes.Index(rest, key)
		if i < 0 {
			return true // omitted: empty
		}
		v, after, ok := cutString(rest[i+len(key):])
		if !ok {
			return false
		}
		rest = after
		switch {
		case share == nil:
			*dst = string(v)
		case string(v) == *share:
			*dst = *share
		default:
			*share = string(v)
			*dst = *share
		}
		return true
	}
	ok = true
	switch ev.Kind {
	case KindStarted:
		ok = field([]byte(`,"file":"`), &ev.File, nil)
	case KindSubmitted:
		ok = field([]byte(`,"batch_id":"`), &ev.BatchID, nil) &&
			field([]byte(`,"account_id":"`), &ev.AccountID, &sk.account)
	case KindStatus:
		ok = field([]byte(`,"status":"`), &ev.Status, &sk.status) &&
			field([]byte(`,"result_path":"`), &ev.ResultPath, nil)
	}
	if !ok {
		return sk.slow(line)
	}
	return ev.ID != "" && ev.Kind.valid()
}

// whole reports whether line, without escapes, looks like a whole JSON
// object and not the start of one: a torn line healed by a later append,
// which encoding/json refuses. Without escapes every quote opens or closes
// a string, so an even count means the line does not end inside one, and
// its last byte closes an object. When the line may hold a nested object
// (started's options), equal counts of braces say it is the outermost one;
// only braces inside strings, unbalanced in just the right way, in a line
// torn just after the nested object, could fool that.
func whole(line []byte, nested bool) bool {
	if line[len(line)-1] != '}' || bytes.IndexByte(line, '\\') >= 0 || bytes.Count(line, []byte{'"'})%2 != 0 {
		return false
	}
	return !nested || bytes.Count(line, []byte{'{'}) == bytes.Count(line, []byte{'}'})
}

// skimPrefix starts every line Append writes in this format version.
var skimPrefix = []byte(`{"v":1,"kind":"`)

// cutString reads a JSON string's contents up to its closing quote, and
// what follows it, in a line without escapes.
func cutString(b []byte) (s, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+1:], true
}

// slow decodes the line with encoding/json, for what the fast path
// leaves to it.
func (sk *skimmer) slow(line []byte) bool {
	var full Event
	if isBlank(line) || json.Unmarshal(line, &full) != nil {
		return false
	}
	sk.ev = Event{V: full.V, Kind: full.Kind, ID: full.ID, File: full.File, BatchID: full.BatchID,
		AccountID: full.AccountID, Status: full.Status, ResultPath: full.ResultPath}
	if sk.ev.V != FormatVersion || sk.ev.ID == "" || !sk.ev.Kind.valid() {
		return false
	}
	sk.find([]byte(sk.ev.ID))
	return true
}

// find sets sk.at to the index of the Brief of id, or -1. Ids grow with
// time, so a submission's first event mostly carries an id above every one
// seen so far, which cannot be in the index: no need to look.
func (sk *skimmer) find(id []byte) {
	switch {
	case sk.last >= 0 && sk.briefs[sk.last].ID == string(id):
		sk.at = sk.last
	case string(id) > sk.maxID:
		sk.at = -1
	default:
		if i, ok := sk.index[string(id)]; ok {
			sk.at = i
		} else {
			sk.at = -1
		}
	}
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
