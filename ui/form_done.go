package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Before any upload the form says how many of its files already have a job
// with the options as they stand ("3 of 12 already submitted with these
// options"), and offers to skip them (the default) or submit them again.
// The files are recognised once, in a command; the count follows every
// change of an option without I/O.

// formDone is what the form knows of its files' submissions.
type formDone struct {
	recs   map[string]recording.Recording // by path; nil until looked at
	recGen int                            // the history index they were judged with
	// skip is the choice, bound to the form's field: leave out the files
	// already submitted with these options (true, the default), or send
	// them again.
	skip bool
	// For the options last counted:
	counted     submit.Options
	done, maybe []string // files done, or maybe done (an unknown outcome), for them
	line        string   // what the field says
}

// formRecordingsMsg: the form's files, recognised.
type formRecordingsMsg struct {
	files  []string // the form they were looked at for
	recGen int
	recs   map[string]recording.Recording
}

// lookAtFormFiles recognises the form's files against the history as last
// read, unless it has not been read yet (the root asks again when it has).
func (s *formScreen) lookAtFormFiles() tea.Cmd {
	rec := s.sh.rec
	if rec == nil || rec.ix == nil {
		return nil
	}
	files, gen, ix, cache := slices.Clone(s.files), rec.gen, rec.ix, rec.cache
	return func() tea.Msg {
		var list []recording.File
		asGiven := map[string]string{} // the form names files as they were given
		for _, f := range files {
			if fi, err := recording.Stat(f); err == nil {
				list = append(list, fi)
				asGiven[fi.Path] = f
			}
		}
		index, c := ix.get(), cache.get()
		recs := make(map[string]recording.Recording, len(list))
		index.RecogniseAll(context.Background(), list, c, 2, func(found recording.Found) {
			if found.Err == nil {
				recs[asGiven[list[found.Index].Path]] = found.Recording
			}
		})
		if c != nil {
			c.Save(context.Background()) // a cache not saved only costs reading again
		}
		return formRecordingsMsg{files: files, recGen: gen, recs: recs}
	}
}

// takeRecordings applies what lookAtFormFiles found.
func (s *formScreen) takeRecordings(msg formRecordingsMsg) {
	if !slices.Equal(msg.files, s.files) {
		return // for a form before this one
	}
	s.alreadyDone.recs, s.alreadyDone.recGen = msg.recs, msg.recGen
	s.alreadyDone.counted = submit.Options{Task: "\x00"} // count again
	s.countDone()
}

// historyRead is told the history was read again: the files are judged
// again with it, so that an upload that ended meanwhile counts.
func (s *formScreen) historyRead() tea.Cmd {
	if s.sh.rec == nil || s.alreadyDone.recs != nil && s.alreadyDone.recGen == s.sh.rec.gen {
		return nil
	}
	return s.lookAtFormFiles()
}

// countDone counts the files already submitted with the options as they
// stand, when they changed since the last count.
func (s *formScreen) countDone() {
	d := &s.alreadyDone
	if d.recs == nil {
		d.line = "looking at the files" + s.sh.st.G.Ellipsis
		return
	}
	opts, err := s.options()
	if err != nil {
		return // the options are wrong: the form says so; the count waits
	}
	if opts == d.counted {
		return
	}
	d.counted, d.done, d.maybe = opts, nil, nil
	for _, f := range s.sendable() {
		r, ok := d.recs[f]
		if !ok {
			continue
		}
		switch v, _ := r.DoneFor(opts); v {
		case recording.Done:
			d.done = append(d.done, f)
		case recording.Maybe:
			d.maybe = append(d.maybe, f)
		}
	}
	n, total := len(d.done)+len(d.maybe), len(s.sendable())
	switch {
	case n == 0 && total == 1:
		d.line = "it has no job with these options yet"
	case n == 0:
		d.line = fmt.Sprintf("none of the %d has a job with these options yet", total)
	default:
		d.line = fmt.Sprintf("%d of %d already submitted with these options", n, total)
		if len(d.maybe) > 0 {
			d.line += fmt.Sprintf(" (%d maybe: the outcome is unknown)", len(d.maybe))
		}
	}
}

// alreadyField is the form's choice for the files already submitted. (The
// count is on the line above the form: huh evaluates a changing
// description in a command of its own, which would read the count while
// Update writes it.)
func (s *formScreen) alreadyField() huh.Field {
	return huh.NewConfirm().Key("already_submitted").Title("Files already submitted with these options").
		Description("the line above says how many").
		Affirmative("Skip them").Negative("Submit again").Value(&s.alreadyDone.skip)
}

// doneLine is the form's line about the files already submitted.
func (s *formScreen) doneLine() string {
	st := s.sh.st
	d := &s.alreadyDone
	n := len(d.done) + len(d.maybe)
	switch {
	case d.recs == nil || n == 0:
		return st.Muted.Render(d.line)
	case d.skip:
		return st.Warn.Render(st.G.Bang + " " + d.line + ": skipped (Submit again sends them)")
	}
	return st.Warn.Render(st.G.Bang + " " + d.line + ": sent again, as new jobs (billed again)")
}

// leaveOutDone takes the files already submitted with opts out of files,
// when the choice is to skip them. It says why nothing is left, if so.
func (s *formScreen) leaveOutDone(files []string) (send, skipped []string, problem string) {
	d := &s.alreadyDone
	if !d.skip || d.recs == nil {
		return files, nil, ""
	}
	s.countDone()
	for _, f := range files {
		if slices.Contains(d.done, f) || slices.Contains(d.maybe, f) {
			skipped = append(skipped, f)
		} else {
			send = append(send, f)
		}
	}
	if len(send) == 0 {
		return nil, skipped, fmt.Sprintf("all %d already submitted with these options: choose Submit again to send them anyway", len(skipped))
	}
	return send, skipped, ""
}

// saySkipped tells which files the form left out as already submitted.
func (m *Model) saySkipped(files []string) {
	if len(files) == 0 {
		return
	}
	names := make([]string, 0, min(len(files), 3))
	for _, f := range files[:min(len(files), 3)] {
		names = append(names, displayName(f))
	}
	more := ""
	if len(files) > 3 {
		more = fmt.Sprintf(" and %d more", len(files)-3)
	}
	m.say(notice{text: fmt.Sprintf("not sent, already submitted with these options: %s%s (Submit again in the form sends them)", strings.Join(names, ", "), more)})
}

// skippedBecause says which submission made an upload needless.
func skippedBecause(sub *store.Submission) string {
	switch {
	case sub.Outcome == store.OutcomeUnknown:
		return "an upload of the same recording with these options has an unknown outcome (a job may exist)"
	case sub.BatchID != "":
		return "the same recording was submitted with these options meanwhile, as batch " + sub.BatchID
	}
	return "the same recording is being sent with these options by another fwbatch"
}
