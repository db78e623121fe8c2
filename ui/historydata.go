package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
)

// historyData is the UI's copy of the history, newest first. It changes only
// through messages from historyReader, so the file stays the single source of
// truth: the UI's own appends come back the same way as another process's.
type historyData struct {
	rows   []*histRow // newest first (ids sort by creation time)
	byFile []*histRow // the same rows by file name, then newest first
	byID   map[string]*histRow
	report store.Report
	loaded bool
	// elsewhere holds submissions another live fwbatch process is uploading.
	elsewhere map[string]bool
	version   int // bumped on every change; screens recompute what they derive
	// nameW is the widest file name (cells, capped): History gives the
	// file column that much before it widens others.
	nameW int
}

// maxNameW caps the file name width History plans its columns around.
const maxNameW = 60

type histRow struct {
	sub  store.Submission
	hay  string // lower-cased text the filter searches; built on first use
	name string // the file's base name, made safe to show (termsafe)
	key  string // the name lower-cased, for sorting by file
	gen  int    // bumped when sub changes: rendered lines of an older gen are stale

	// The row as History last drew it, and what it was drawn for: an idle
	// screen redraws its rows from here, without measuring a cell.
	line  string
	drawn rowDrawn
}

type rowDrawn struct {
	gen, layout int
	selected    bool
	status      string
}

// newRow makes a row, with what drawing and sorting it needs.
func newRow(s store.Submission) *histRow {
	r := &histRow{sub: s}
	r.named()
	return r
}

func (r *histRow) named() {
	r.name = displayName(r.sub.File)
	r.key = strings.ToLower(r.name)
}

// displayName is a file's base name as the UI shows it: escape sequences
// and control characters in it are shown, never sent to the terminal.
func displayName(path string) string {
	if path == "" {
		return "(no file recorded)"
	}
	return termsafe.Line(filepath.Base(path))
}

// widen notes the width of r's name in d.nameW.
func (d *historyData) widen(r *histRow) {
	if len(r.name) <= d.nameW || d.nameW >= maxNameW { // bytes ≥ cells: no need to measure
		return
	}
	d.nameW = min(max(d.nameW, ansi.StringWidth(r.name)), maxNameW)
}

func newHistoryData() *historyData {
	return &historyData{byID: map[string]*histRow{}}
}

func (d *historyData) get(id string) *store.Submission {
	if r := d.byID[id]; r != nil {
		return &r.sub
	}
	return nil
}

// replace installs a full read, prepared by the reader's command.
func (d *historyData) replace(p historyRows, rep store.Report) {
	d.rows, d.byFile, d.byID, d.nameW = p.rows, p.byFile, p.byID, p.nameW
	d.report = rep
	d.loaded = true
	d.version++
}

// historyRows is a full read shaped for the UI: newest first, indexed by id,
// with the filter's haystacks built. The reader's command prepares it, so
// that installing 100,000 submissions costs Update nothing and the first
// filter keystroke does not build 100,000 haystacks.
type historyRows struct {
	rows, byFile []*histRow
	byID         map[string]*histRow
	nameW        int
}

func prepareRows(rows []*histRow) historyRows {
	sort.Slice(rows, func(i, j int) bool { return rows[i].sub.ID > rows[j].sub.ID })
	byID := make(map[string]*histRow, len(rows))
	var d historyData
	for _, r := range rows {
		r.haystack()
		byID[r.sub.ID] = r
		d.widen(r)
	}
	byFile := slices.Clone(rows)
	slices.SortStableFunc(byFile, func(a, b *histRow) int { return strings.Compare(a.key, b.key) })
	return historyRows{rows: rows, byFile: byFile, byID: byID, nameW: d.nameW}
}

// fileBefore reports whether a comes before b in the file order.
func fileBefore(a, b *histRow) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.sub.ID > b.sub.ID
}

// fileAt is where r goes in d.byFile.
func (d *historyData) fileAt(r *histRow) int {
	return sort.Search(len(d.byFile), func(i int) bool { return !fileBefore(d.byFile[i], r) })
}

// apply merges changed submissions. New ones are almost always the newest,
// so they are inserted by binary search rather than by re-sorting.
func (d *historyData) apply(subs []store.Submission) {
	if len(subs) == 0 {
		return
	}
	for i := range subs {
		s := subs[i]
		if r := d.byID[s.ID]; r != nil {
			oldKey := r.key
			r.sub = s
			r.hay = ""
			r.gen++
			r.named()
			d.widen(r)
			if r.key != oldKey { // its file became known: it moves in the file order
				d.byFile = slices.DeleteFunc(d.byFile, func(o *histRow) bool { return o == r })
				d.byFile = slices.Insert(d.byFile, d.fileAt(r), r)
			}
			continue
		}
		r := newRow(s)
		d.widen(r)
		d.byID[s.ID] = r
		d.byFile = slices.Insert(d.byFile, d.fileAt(r), r)
		at := sort.Search(len(d.rows), func(i int) bool { return d.rows[i].sub.ID < s.ID })
		d.rows = append(d.rows, nil)
		copy(d.rows[at+1:], d.rows[at:])
		d.rows[at] = r
	}
	d.version++
}

func (r *histRow) haystack() string {
	if r.hay == "" {
		s := &r.sub
		fields := [...]string{
			s.File, s.BatchID, s.Task, s.Endpoint, s.Options["response_format"],
			string(s.Outcome), s.ServerStatus, s.ID,
		}
		var b strings.Builder
		b.Grow(len(fields) + len(s.File) + len(s.BatchID) + len(s.ID) + 64)
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(0)
			}
			writeLower(&b, f)
		}
		r.hay = b.String()
	}
	return r.hay
}

// writeLower writes strings.ToLower(f) without allocating for ASCII text,
// which is nearly all a haystack holds.
func writeLower(b *strings.Builder, f string) {
	for i := 0; i < len(f); i++ {
		if f[i] >= utf8.RuneSelf {
			b.WriteString(strings.ToLower(f))
			return
		}
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
}

// historyReader reads the history file from inside tea.Cmds. Only one of its
// commands runs at a time (the root waits for each result before asking for
// the next), so its History is never touched concurrently, and the UI only
// ever sees copies.
type historyReader struct {
	st        *store.Store
	h         *store.History
	stamp     map[string]subStamp
	uploading map[string]owner // submissions with "started" and no outcome yet
}

// owner is the process that wrote a submission's "started" event.
type owner struct {
	host    string
	pid     int
	started time.Time
}

// subStamp is what makes a submission's row look different.
type subStamp struct {
	updated             int64
	outcome             store.Outcome
	status, result, bid string
	hidden              bool
}

func stampOf(s *store.Submission) subStamp {
	return subStamp{s.Updated.UnixNano(), s.Outcome, s.ServerStatus, s.ResultPath, s.BatchID, s.Hidden}
}

type historyLoadedMsg struct {
	rows      *historyRows        // the read, prepared in the command
	subs      []store.Submission  // or bare submissions (tests), prepared in Update
	all       []*store.Submission // the read as the store gives it, for recognising files (recordings)
	announced bool                // a historySnapshotMsg gave all to recordings already
	report    store.Report
	elsewhere map[string]bool
	err       error
}

type historyChangedMsg struct {
	subs      []store.Submission
	all       []*store.Submission // every submission, when some changed (recordings)
	report    *store.Report       // nil when nothing was read
	elsewhere map[string]bool
	err       error
}

// historySnapshotMsg: the history was read; its rows for History are
// being prepared (rows, the rest of the read, returns historyLoadedMsg).
// What Files needs comes first: its states do not wait for History's rows.
type historySnapshotMsg struct {
	all   []*store.Submission
	index *lazyIndex
	rows  tea.Cmd
}

func (r *historyReader) load() tea.Msg {
	h, err := r.st.Load()
	if err != nil {
		return historyLoadedMsg{err: err}
	}
	r.h = h
	all := h.Submissions()
	return historySnapshotMsg{all: all, index: &lazyIndex{subs: all}, rows: func() tea.Msg { return r.prepare(h, all) }}
}

// prepare shapes a full read for History, in the reader's turn.
func (r *historyReader) prepare(h *store.History, all []*store.Submission) tea.Msg {
	rows := make([]*histRow, len(all))
	r.stamp = make(map[string]subStamp, len(all))
	r.uploading = map[string]owner{}
	for i, s := range all {
		rows[i] = newRow(*s)
		r.stamp[s.ID] = stampOf(s)
		r.note(s)
	}
	p := prepareRows(rows)
	return historyLoadedMsg{rows: &p, all: all, announced: true, report: h.Report(), elsewhere: r.liveOwners()}
}

// prepared is the read as the UI keeps it.
func (msg historyLoadedMsg) prepared() historyRows {
	if msg.rows != nil {
		return *msg.rows
	}
	rows := make([]*histRow, len(msg.subs))
	for i := range msg.subs {
		rows[i] = newRow(msg.subs[i])
	}
	return prepareRows(rows)
}

func (r *historyReader) refresh() tea.Msg {
	if r.h == nil {
		return r.load()
	}
	before := len(r.stamp)
	changed, err := r.st.Refresh(r.h)
	if err != nil || !changed {
		return historyChangedMsg{err: err, elsewhere: r.liveOwners()}
	}
	if r.h.Len() < before {
		// The file was replaced by one with fewer submissions (moved aside
		// as unreadable, or restored by hand): start over from it.
		return r.load()
	}
	var out []store.Submission
	all := r.h.Submissions()
	for _, s := range all {
		st := stampOf(s)
		if old, ok := r.stamp[s.ID]; !ok || old != st {
			r.stamp[s.ID] = st
			r.note(s)
			out = append(out, *s)
		}
	}
	rep := r.h.Report()
	if len(out) == 0 {
		all = nil // nothing changed: the last read stands
	}
	return historyChangedMsg{subs: out, all: all, report: &rep, elsewhere: r.liveOwners()}
}

func (r *historyReader) note(s *store.Submission) {
	if s.Outcome == store.OutcomeUploading {
		r.uploading[s.ID] = owner{s.Host, s.PID, s.Started}
	} else {
		delete(r.uploading, s.ID)
	}
}

// liveOwners returns the submissions still being uploaded by another live
// process. Uploads of this process are known to the UI directly.
func (r *historyReader) liveOwners() map[string]bool {
	if len(r.uploading) == 0 {
		return nil
	}
	out := map[string]bool{}
	for id, o := range r.uploading {
		if o.pid != os.Getpid() && store.ProcessAlive(o.host, o.pid, o.started) {
			out[id] = true
		}
	}
	return out
}

// compactedMsg: the occasional compaction ran (report nil: nothing to do),
// then the reader looked at the file again (next).
type compactedMsg struct {
	report *store.CompactReport
	err    error
	next   tea.Msg
}

// compact runs the store's occasional compaction in the reader's turn, once
// per session after the first load: it needs the loaded History, and the
// file it replaces is then re-read by the refresh that follows.
func (r *historyReader) compact() tea.Msg {
	if r.h == nil {
		return r.refresh()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := r.st.MaybeCompact(ctx, r.h)
	return compactedMsg{report: rep, err: err, next: r.refresh()}
}
