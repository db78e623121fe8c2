package recording

import (
	"strings"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// State is where a recording stands in the history, whatever the options
// it was sent with. A higher State tells more: when a recording has several
// submissions, the highest one's state is the recording's.
type State int

const (
	StateNone        State = iota // never submitted
	StateFailed                   // refused, or the job failed: no job exists
	StateInterrupted              // the upload stopped before an outcome was known
	StateUnknown                  // the whole file was sent, no valid reply came: a job may exist
	StateUploading                // a live fwbatch process is uploading it now
	StateProcessing               // a job exists and has not finished
	StateDone                     // a job completed
)

// Word is the state in a word, "" for StateNone. The UI shows it beside the
// glyph, never colour alone.
func (s State) Word() string {
	switch s {
	case StateFailed:
		return "failed"
	case StateInterrupted:
		return "interrupted"
	case StateUnknown:
		return "unknown"
	case StateUploading:
		return "uploading"
	case StateProcessing:
		return "processing"
	case StateDone:
		return "done"
	}
	return ""
}

// Glyph is the state's mark, the one History uses for the same state; ascii
// picks the TERM=dumb one. "" for StateNone.
func (s State) Glyph(ascii bool) string {
	var g [2]string // unicode, ascii
	switch s {
	case StateFailed:
		g = [2]string{"✗", "x"}
	case StateInterrupted:
		g = [2]string{"!", "!"}
	case StateUnknown:
		g = [2]string{"?", "?"}
	case StateUploading:
		g = [2]string{"↑", "^"}
	case StateProcessing:
		g = [2]string{"◌", "~"}
	case StateDone:
		g = [2]string{"✓", "+"}
	}
	if ascii {
		return g[1]
	}
	return g[0]
}

// Live reports whether a submission in this state has, or is about to
// have, a job: what "done for these options" counts.
func (s State) Live() bool {
	return s == StateDone || s == StateProcessing || s == StateUploading
}

// Alive tells whether the process that wrote a "started" event may still
// be uploading (store.ProcessAlive; tests replace it).
type Alive func(host string, pid int, started time.Time) bool

// stateOf is one submission's state. Hidden submissions count like any
// other: hiding an entry does not cancel its job, and forgetting it would
// pay for the recording twice.
func stateOf(sub *store.Submission, alive Alive) State {
	switch sub.Outcome {
	case store.OutcomeUploading:
		if alive(sub.Host, sub.PID, sub.Started) {
			return StateUploading
		}
		return StateInterrupted // killed or rebooted mid-upload
	case store.OutcomeFailed:
		return StateFailed
	case store.OutcomeInterrupted:
		return StateInterrupted
	case store.OutcomeUnknown:
		// A reply named a job without confirming it; once a check found
		// the job (any status, or a 404), the server has said what it is.
		if !submit.Checkable(sub) || sub.ServerStatus == "" && sub.StatusHTTPStatus == 0 {
			return StateUnknown
		}
	}
	return jobState(sub)
}

// jobState is where an accepted submission's job stands, by submit's own
// rules, never by reading status words here: completed by Classify, else
// live while NeedsCheck says it is worth checking, else gone (failed, and
// any end state submit learns later, such as a job the server no longer
// knows).
func jobState(sub *store.Submission) State {
	if submit.Classify(sub.ServerStatus) == submit.Completed {
		return StateDone
	}
	probe := *sub
	probe.Hidden = false // hidden or not, the job is the same
	if submit.NeedsCheck(&probe) {
		return StateProcessing
	}
	return StateFailed
}

// Status is a recording's state for display, whatever the options.
type Status struct {
	State State
	// Sub is the submission that decides the state (the newest of the
	// highest state); nil for StateNone.
	Sub *store.Submission
	// Submissions is how many submissions the history has of this
	// recording, in any state.
	Submissions int
}

// Word is the state's word, except that a failed job says what the server
// said ("expired") when it said something, and "not found" for a job it
// answered 404 for.
func (s Status) Word() string {
	if s.State == StateFailed && s.Sub != nil && submit.Checkable(s.Sub) {
		if submit.RecordedState(s.Sub) == submit.NotFound {
			return submit.NotFound.String()
		}
		if s.Sub.ServerStatus != "" {
			return strings.ToLower(s.Sub.ServerStatus)
		}
	}
	return s.State.Word()
}
