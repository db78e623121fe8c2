package ui

import (
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// rowKind groups row states for styling; the text always says the state too.
type rowKind int

const (
	kindPending rowKind = iota
	kindOK
	kindFailed
	kindWarn
	kindActive
)

// statusOf says, in a glyph and a word or two, where a submission stands.
// uploading is true when this process is uploading it right now; elsewhere
// when another live fwbatch process is.
func statusOf(g Glyphs, s *store.Submission, uploading, elsewhere bool) (string, rowKind) {
	switch s.Outcome {
	case store.OutcomeUploading:
		switch {
		case uploading:
			return g.Up + " uploading", kindActive
		case elsewhere:
			return g.Up + " elsewhere", kindActive
		}
		return g.Bang + " interrupted", kindWarn
	case store.OutcomeFailed:
		return g.Cross + " failed", kindFailed
	case store.OutcomeUnknown:
		// A reply that named a job without confirming it: once a check
		// found the job, its state is what matters.
		if !submit.Checkable(s) || s.ServerStatus == "" && s.StatusHTTPStatus == 0 {
			return g.Question + " unknown", kindWarn
		}
	case store.OutcomeInterrupted:
		return g.Bang + " interrupted", kindWarn
	}
	if s.ServerStatus == "" && s.StatusHTTPStatus == 0 {
		return g.Dots + " submitted", kindPending
	}
	switch submit.RecordedState(s) {
	case submit.NotFound:
		return g.Gone + " not found", kindFailed
	case submit.Completed:
		if s.ResultPath != "" {
			return g.Check + " completed", kindOK
		}
		return g.Check + " completed*", kindOK
	case submit.Failed:
		return g.Cross + " " + s.ServerStatus, kindFailed
	}
	return g.Dots + " " + s.ServerStatus, kindPending
}

func (st Styles) kind(k rowKind) func(strs ...string) string {
	switch k {
	case kindOK:
		return st.OK.Render
	case kindFailed:
		return st.Err.Render
	case kindWarn:
		return st.Warn.Render
	case kindActive:
		return st.Marked.Render
	}
	return st.Pending.Render
}
