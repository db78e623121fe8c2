package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// setupCLI is setup for the commands that run without the UI; in demo mode
// it says so on stderr, since their output looks like the real thing.
func (r *runner) setupCLI(g *globalFlags) (*env, error) {
	e, err := r.setup(g)
	if err == nil && e.demo != nil {
		fmt.Fprintln(r.stderr, termsafe.Line(fmt.Sprintf("fwbatch: DEMO: a built-in fake API (%s) and the demo history %s; nothing is sent anywhere", e.baseURL, e.store.Path())))
	}
	return e, err
}

// loadHistory reads the history and reports, in one line on stderr, what
// reading it skipped or set aside: never fatal, never silent.
func (r *runner) loadHistory(e *env) (*store.History, error) {
	h, err := e.store.Load()
	if err != nil {
		return nil, err
	}
	if rep := h.Report(); !rep.Clean() {
		fmt.Fprintln(r.stderr, "fwbatch: warning: "+termsafe.Line(rep.String()))
	}
	return h, nil
}

// lookup finds the submissions that ids name: a batch id, or a local
// submission id. It never touches the network.
func lookup(h *store.History, ids []string) (found []*store.Submission, unknown []string) {
	byBatch := map[string]*store.Submission{}
	for _, s := range h.Submissions() {
		if s.BatchID != "" {
			byBatch[s.BatchID] = s // the last one wins, as in the history
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		s := h.Get(id)
		if s == nil {
			s = byBatch[id]
		}
		switch {
		case s == nil:
			unknown = append(unknown, id)
		case !seen[s.ID]:
			seen[s.ID] = true
			found = append(found, s)
		}
	}
	return found, unknown
}

// unknownID is the message for an id that is not in the history.
func unknownID(id, historyPath string) string {
	return fmt.Sprintf("%s: no such batch id or submission id in the history %s; see `fwbatch list --all`", id, historyPath)
}

// newestFirst sorts submissions newest first. Ids made by fwbatch sort by
// creation time; the start time decides first, for ids made elsewhere.
func newestFirst(subs []*store.Submission) {
	slices.SortStableFunc(subs, func(a, b *store.Submission) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// formatOf is a submission's response format (the API's default when the
// history does not say).
func formatOf(s *store.Submission) string {
	if f := s.Options["response_format"]; f != "" {
		return f
	}
	return "json"
}

// displayName names a submission's file for messages: its base name.
func displayName(s *store.Submission) string {
	if s.File == "" {
		return "(no file recorded)"
	}
	return filepath.Base(s.File)
}

// statusWord is the Status column of `fwbatch list`, like the UI's
// History: the upload's outcome until a job exists, then the server's
// status as it spelled it.
func statusWord(s *store.Submission) string {
	switch s.Outcome {
	case store.OutcomeUploading:
		if store.ProcessAlive(s.Host, s.PID, s.Started) {
			return "uploading"
		}
		return "interrupted"
	case store.OutcomeSubmitted:
	case store.OutcomeUnknown:
		// A reply that named a job without confirming it: once a check
		// found the job, its state is what matters.
		if !submit.Checkable(s) || s.ServerStatus == "" && s.StatusHTTPStatus == 0 {
			return string(s.Outcome)
		}
	default:
		return string(s.Outcome)
	}
	switch {
	case submit.RecordedState(s) == submit.NotFound:
		return submit.NotFound.String()
	case s.ServerStatus == "":
		return "submitted"
	case submit.Classify(s.ServerStatus) == submit.Completed && s.ResultPath == "":
		return s.ServerStatus + " (result not saved yet)"
	}
	return s.ServerStatus
}

// shown quotes a name for a line of output when it would be ambiguous:
// empty, or holding spaces, quotes or control characters.
func shown(name string) string {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\'' || r == 0x7f
	}) {
		return strconv.Quote(name)
	}
	return name
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are printed
	}
	w.Write(append(b, '\n'))
}

// reasonFor is err's one-line message without a leading "file: ", for
// lines that name the file already.
func reasonFor(file string, err error, key string) string {
	msg := submit.Redact(submit.Explain(err), key)
	return strings.TrimPrefix(msg, file+": ")
}
