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
		return g.Question + " unknown", kindWarn
	case store.OutcomeInterrupted:
		return g.Bang + " interrupted", kindWarn
	}
	if s.ServerStatus == "" {
		return g.Dots + " submitted", kindPending
	}
	switch submit.Classify(s.ServerStatus) {
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

// needsCheck reports whether the background checker should look at s: a job
// the server accepted that is still pending, or completed but not saved yet.
func needsCheck(s *store.Submission) bool {
	if s.Outcome != store.OutcomeSubmitted || s.Hidden || s.BatchID == "" || s.AccountID == "" {
		return false
	}
	if s.ServerStatus == "" {
		return true
	}
	switch submit.Classify(s.ServerStatus) {
	case submit.Completed:
		return s.ResultPath == ""
	case submit.Failed:
		return false
	}
	return true
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
