package store

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

// Outcome is what became of a submission's upload, as its events tell.
type Outcome string

const (
	OutcomeUploading   Outcome = "uploading" // started, no outcome recorded yet
	OutcomeSubmitted   Outcome = "submitted"
	OutcomeFailed      Outcome = "failed"
	OutcomeUnknown     Outcome = "unknown"
	OutcomeInterrupted Outcome = "interrupted"
)

// Submission is one submission's events folded in file order:
//
//   - started sets Started, Host, PID and the request fields (File …
//     Fingerprint, Duration), and the outcome "uploading" unless an outcome event came
//     before it;
//   - submitted, failed, unknown and interrupted set Outcome; the last of
//     them wins (so a submitted after an unknown wins);
//   - submitted and unknown set BatchID, AccountID and EndpointID, each only
//     when the event has it: a batch id, once known, is never cleared (an
//     unknown event has one when the reply named a job without confirming
//     it);
//   - failed, unknown and interrupted set HTTPStatus and Message;
//     submitted sets Message when it has one (what was odd about a reply
//     that was usable anyway);
//   - status sets ServerStatus, StatusHTTPStatus, StatusTime (the event's
//     time) and Message, and ResultPath when the event has one;
//   - hidden sets Hidden;
//   - every event sets Updated to its time.
//
// Events of an id without a started event still make a Submission: Started,
// Host and PID then come from its first event and its Outcome is unknown
// until an outcome event says otherwise. The store never interprets server
// statuses.
//
// A *Submission from a History is a snapshot: nothing changes it afterwards,
// Refresh included. Treat it as read-only.
type Submission struct {
	ID         string
	Started    time.Time
	Updated    time.Time
	Host       string
	PID        int
	File       string
	Size       int64
	MTime      time.Time
	Task       string
	Endpoint   string
	Model      string
	Options    map[string]string
	ResubmitOf string
	// Fingerprint is the recording's content fingerprint, "" for
	// submissions recorded before fwbatch kept one.
	Fingerprint string
	// Duration is how long the recording plays, as recorded when it was
	// submitted: unknown when its headers did not say, and for submissions
	// recorded before fwbatch measured recordings.
	Duration audio.Length

	Outcome    Outcome
	BatchID    string
	AccountID  string
	EndpointID string
	HTTPStatus int
	Message    string // the last failure, unknown, interrupted or status message, or an odd reply's

	ServerStatus string
	// StatusHTTPStatus is the http_status of the last status event: the
	// HTTP error a check got instead of a status (404: the server does not
	// know the job), 0 when the server reported a status.
	StatusHTTPStatus int
	StatusTime       time.Time
	ResultPath       string

	Hidden bool
}

// Report tells what reading the history skipped, kept and set aside, so that
// nothing goes unnoticed. Line numbers start at 1.
type Report struct {
	Path   string
	Size   int64 // bytes read, a torn last line included
	Lines  int   // complete lines (ending in a newline)
	Events int   // lines folded into submissions
	Blank  int   // empty or whitespace-only lines, ignored

	// Unreadable lines stay in the file untouched (compaction moves them to
	// a .corrupt- file). Bad holds the first maxListed; BadCount counts all.
	BadCount int
	Bad      []BadLine

	// Lines of a newer format version are kept and not folded, and the store
	// refuses to compact; Newer lists the first maxListed line numbers.
	NewerCount   int
	Newer        []int
	NewerVersion int // the highest version seen on them

	// Torn: the last line has no newline. It is skipped: either a crash cut
	// it short, and it was never acknowledged, or another process is writing
	// it right now. The next append makes it a line of its own.
	Torn      bool
	TornLine  int
	TornBytes int64

	// Unreadable: the file has bytes but nothing readable. Reads leave it as
	// it is; the next Append or CheckWritable moves it aside, under the lock,
	// to <Path>.corrupt-<UTC time> and starts a new file.
	Unreadable bool

	// SetAside lists the <Path>.corrupt-* files beside the history: bytes
	// fwbatch could not read, kept for the user to look at. They stay listed
	// until the user deletes them.
	SetAside []string
}

// BadLine is an unreadable line: where it is and why it was not read.
type BadLine struct {
	Line   int
	Offset int64 // of its first byte
	Length int64 // without the newline
	Reason string
}

// maxListed bounds the line numbers a Report lists, so that a huge garbage
// file cannot make one huge report; the counts stay exact.
const maxListed = 1000

// Clean reports whether the history was read without anything to tell.
func (r Report) Clean() bool {
	return r.BadCount == 0 && r.NewerCount == 0 && !r.Torn && !r.Unreadable && len(r.SetAside) == 0
}

// String says in one line what the user should know, or "" if r is clean.
func (r Report) String() string {
	var parts []string
	if r.Unreadable {
		parts = append(parts, "nothing readable: the next write moves it aside")
	} else if r.BadCount > 0 {
		lines := make([]string, len(r.Bad))
		for i, b := range r.Bad {
			lines[i] = fmt.Sprint(b.Line)
		}
		more := ""
		if r.BadCount > len(r.Bad) {
			more = ", …"
		}
		parts = append(parts, fmt.Sprintf("%d unreadable %s kept (%s%s)", r.BadCount, plural(r.BadCount, "line"), strings.Join(lines, ", "), more))
	}
	if r.NewerCount > 0 {
		parts = append(parts, fmt.Sprintf("%d %s of a newer format (v%d) not read: upgrade fwbatch", r.NewerCount, plural(r.NewerCount, "line"), r.NewerVersion))
	}
	if r.Torn && !r.Unreadable {
		parts = append(parts, fmt.Sprintf("unfinished last line %d skipped", r.TornLine))
	}
	if len(r.SetAside) > 0 {
		parts = append(parts, "unreadable bytes set aside in "+strings.Join(r.SetAside, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "history file " + r.Path + ": " + strings.Join(parts, "; ")
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// History is the folded state of a history file. It is not safe for
// concurrent use; the Submissions it hands out are immutable snapshots.
type History struct {
	subs   []*Submission
	state  []subState // parallel to subs
	index  map[string]int32
	report Report
	dec    *decoder
	ev     Event // decoding scratch

	// Where reading stopped, for Refresh.
	fi        os.FileInfo // the file as last seen: identity and mtime
	offset    int64       // just past the last complete line
	tail      []byte      // the bytes just before offset, to notice a replaced file
	tornBlank bool        // the torn last line is only whitespace
	classes   []lineClass // each complete line's class, when compaction asks
	// epoch is bumped by each Refresh; a Submission made in an earlier epoch
	// may have been handed out, so it is copied before it changes.
	epoch uint32
}

type subState struct {
	epoch      uint32
	hasOutcome bool
	keep       keepers
}

// keepers are the line numbers of the events that decide a submission's
// state: the first event, the last one, and the last of each kind that sets
// a field. Keeping only these lines, in file order, folds to the same
// Submission, which is what compaction does.
type keepers [nKeepers]int32

const (
	kFirst = iota
	kLast
	kStarted
	kOutcome
	kBatchID
	kAccountID
	kEndpointID
	kHTTPStatus
	kMessage
	kStatus
	kResultPath
	kHidden
	nKeepers
)

func newHistory(path string) *History {
	return &History{index: make(map[string]int32), dec: newDecoder(), report: Report{Path: path}}
}

// Submissions returns every submission, hidden ones included, in the order
// of each one's first event in the file (oldest first). The slice is the
// caller's.
func (h *History) Submissions() []*Submission { return slices.Clone(h.subs) }

// Get returns the submission with local id id, or nil.
func (h *History) Get(id string) *Submission {
	if i, ok := h.index[id]; ok {
		return h.subs[i]
	}
	return nil
}

// At returns the i-th submission in the order of Submissions, without
// copying the list: 0 ≤ i < Len. A submission keeps its place as the file
// grows and when it is compacted (compaction keeps each one's first event).
func (h *History) At(i int) *Submission { return h.subs[i] }

// Len is the number of submissions, hidden ones included.
func (h *History) Len() int { return len(h.subs) }

// Report says what reading the file skipped, kept and set aside.
func (h *History) Report() Report {
	r := h.report
	r.Bad = slices.Clone(r.Bad)
	r.Newer = slices.Clone(r.Newer)
	r.SetAside = slices.Clone(r.SetAside)
	return r
}

// apply folds one event, read from line, into its submission.
func (h *History) apply(ev *Event, line int32) {
	i, ok := h.index[ev.ID]
	if !ok {
		i = int32(len(h.subs))
		s := newSubmission(ev)
		h.subs = append(h.subs, &s)
		h.state = append(h.state, subState{epoch: h.epoch})
		h.index[ev.ID] = i
		h.state[i].keep[kFirst] = line
	} else if h.state[i].epoch != h.epoch {
		c := *h.subs[i]
		h.subs[i] = &c
		h.state[i].epoch = h.epoch
	}
	foldEvent(h.subs[i], &h.state[i], ev, line)
}

// newSubmission is the Submission an id's first event makes, before that
// event is folded into it.
func newSubmission(ev *Event) Submission {
	return Submission{ID: ev.ID, Started: ev.Time, Host: ev.Host, PID: ev.PID, Outcome: OutcomeUnknown}
}

// foldEvent applies one event, read from line, to its submission s and its
// state st. These are the rules of Submission's comment, written only
// here: Load and Skim both fold with them. Skim keeps only a Brief's
// fields between events (it folds into Brief.Submission), so a rule must
// not read another field of s to set one of a Brief's.
func foldEvent(s *Submission, st *subState, ev *Event, line int32) {
	k := &st.keep
	k[kLast] = line
	switch ev.Kind {
	case KindStarted:
		k[kStarted] = line
		s.Started, s.Host, s.PID = ev.Time, ev.Host, ev.PID
		s.File, s.Size, s.Task, s.Endpoint, s.Model = ev.File, ev.Size, ev.Task, ev.Endpoint, ev.Model
		s.MTime = time.Time{}
		if ev.MTime != nil {
			s.MTime = *ev.MTime
		}
		s.Options, s.ResubmitOf, s.Fingerprint = ev.Options, ev.ResubmitOf, ev.Fingerprint
		s.Duration = audio.Length{}
		if ev.DurationS > 0 {
			s.Duration = audio.LengthOfSeconds(ev.DurationS)
		}
		if !st.hasOutcome {
			s.Outcome = OutcomeUploading
		}
	case KindSubmitted:
		k[kOutcome] = line
		s.Outcome, st.hasOutcome = OutcomeSubmitted, true
		if ev.Message != "" { // what was odd about the reply
			k[kMessage], s.Message = line, ev.Message
		}
		foldJob(s, k, ev, line)
	case KindFailed, KindUnknown, KindInterrupted:
		k[kOutcome], k[kHTTPStatus], k[kMessage] = line, line, line
		s.Outcome, st.hasOutcome = Outcome(ev.Kind), true
		s.HTTPStatus, s.Message = ev.HTTPStatus, ev.Message
		if ev.Kind == KindUnknown {
			foldJob(s, k, ev, line)
		}
	case KindStatus:
		k[kStatus], k[kMessage] = line, line
		s.ServerStatus, s.StatusHTTPStatus, s.StatusTime, s.Message = ev.Status, ev.HTTPStatus, ev.Time, ev.Message
		if ev.ResultPath != "" {
			s.ResultPath, k[kResultPath] = ev.ResultPath, line
		}
	case KindHidden:
		if k[kHidden] == 0 {
			k[kHidden] = line
		}
		s.Hidden = true
	}
	s.Updated = ev.Time
}

// foldJob takes the job's ids from ev, each only when it has one.
func foldJob(s *Submission, k *keepers, ev *Event, line int32) {
	if ev.BatchID != "" {
		s.BatchID, k[kBatchID] = ev.BatchID, line
	}
	if ev.AccountID != "" {
		s.AccountID, k[kAccountID] = ev.AccountID, line
	}
	if ev.EndpointID != "" {
		s.EndpointID, k[kEndpointID] = ev.EndpointID, line
	}
}

// kept is how many events compaction would keep.
func (h *History) kept() int {
	n := 0
	var seen [nKeepers]int32
	for i := range h.state {
		seen = [nKeepers]int32{}
		m := 0
		for _, l := range h.state[i].keep {
			if l != 0 && !slices.Contains(seen[:m], l) {
				seen[m] = l
				m++
			}
		}
		n += m
	}
	return n
}
