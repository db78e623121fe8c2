package ui

import (
	"github.com/fwbatch/fwbatch/internal/termsafe"
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

// rowState is what the UI knows of a submission beyond its history events.
type rowState struct {
	uploading bool // this process is uploading it right now
	elsewhere bool // another live fwbatch process is
	// said is the status a check got from the server that could not be
	// recorded in full, and problem why (a transcript not saved).
	said, problem string
}

// statusOf says, in a glyph and a word or two, where a submission stands.
func statusOf(g Glyphs, s *store.Submission, rs rowState) (string, rowKind) {
	switch s.Outcome {
	case store.OutcomeUploading:
		switch {
		case rs.uploading:
			return g.Up + " uploading", kindActive
		case rs.elsewhere:
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
	if rs.said == "" && submit.RecordedState(s) == submit.NotFound {
		return g.Gone + " not found", kindFailed
	}
	status := termsafe.Line(s.ServerStatus) // as the server spelled it: shown, never run
	if rs.said != "" && s.ResultPath == "" {
		status = termsafe.Line(rs.said)
	}
	if status == "" {
		return g.Dots + " submitted", kindPending
	}
	switch submit.Classify(status) {
	case submit.Completed:
		if s.ResultPath != "" {
			return g.Check + " completed", kindOK
		}
		// The server has the transcript; saving it here failed (Details
		// and the message log say why), and the next check tries again.
		return g.Bang + " completed, not saved", kindWarn
	case submit.Failed:
		return g.Cross + " " + status, kindFailed
	}
	return g.Dots + " " + status, kindPending
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
