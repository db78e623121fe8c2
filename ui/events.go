package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

type (
	watchTickMsg struct{}
	uiTickMsg    struct{}
	// appendedMsg: a history append made by the UI finished.
	appendedMsg struct {
		what string
		err  error
	}
	// savedMsg: a transcript was written for the user.
	savedMsg struct {
		id, path string
		err      error
		exists   bool // the destination exists; nothing was written
	}
	rememberedMsg struct{ err error }
	// submitFormMsg: the form was submitted for these files.
	submitFormMsg struct {
		files      []string
		opts       submit.Options
		resubmitOf string
	}
	// filesChosenMsg: the user picked files in Files.
	filesChosenMsg struct{ paths []string }
	// formBackMsg: esc in the form.
	formBackMsg struct{}
)

// handleEvent deals with messages that belong to the root. It reports
// whether msg was one of them.
func (m *Model) handleEvent(msg tea.Msg) (tea.Cmd, bool) {
	now := m.sh.now()
	switch msg := msg.(type) {
	case historyLoadedMsg:
		m.loading, m.reading = false, false
		if msg.err != nil {
			m.notice = notice{text: msg.err.Error(), kind: noticeErr}
			return m.watch(), true
		}
		m.hist.replace(msg.prepared(), msg.report)
		m.hist.elsewhere = msg.elsewhere
		for _, r := range m.hist.rows {
			m.polls.track(&r.sub, now, true)
		}
		if !msg.report.Clean() {
			m.notice = notice{text: msg.report.String(), kind: noticeWarn}
		}
		next := m.watch()
		if !m.compacted {
			m.compacted, m.reading = true, true
			next = m.reader.compact
		}
		return tea.Batch(next, m.pollNow(now), m.details.loadIfSaved()), true
	case compactedMsg:
		switch rep := msg.report; {
		case msg.err != nil:
			m.notice = notice{text: "the history was not compacted: " + msg.err.Error(), kind: noticeWarn}
		case rep != nil && rep.Corrupt != "":
			m.notice = notice{text: fmt.Sprintf("history compacted; %d unreadable line(s) moved to %s", rep.Unreadable, rep.Corrupt), kind: noticeWarn}
		case rep != nil && rep.Rewritten:
			m.notice = notice{text: fmt.Sprintf("history compacted: %d → %d lines (the old file is kept as %s)", rep.LinesBefore, rep.LinesAfter, rep.Backup)}
		}
		_, cmd := m.Update(msg.next)
		return cmd, true
	case historyChangedMsg:
		m.reading = false
		if msg.err != nil {
			m.notice = notice{text: msg.err.Error(), kind: noticeErr}
		}
		m.hist.apply(msg.subs)
		m.hist.elsewhere = msg.elsewhere
		if msg.report != nil {
			if !msg.report.Clean() && msg.report.String() != m.hist.report.String() {
				m.notice = notice{text: msg.report.String(), kind: noticeWarn}
			}
			m.hist.report = *msg.report
		}
		for i := range msg.subs {
			m.polls.track(&msg.subs[i], now, false)
		}
		var cmd tea.Cmd
		if m.reread {
			m.reread = false
			cmd = m.readNow()
		} else {
			cmd = m.watch()
		}
		return tea.Batch(cmd, m.pollNow(now), m.details.loadIfSaved()), true
	case watchTickMsg:
		return m.readNow(), true
	case batchEventsMsg:
		m.uploads.waiting = false
		var cmds []tea.Cmd
		for _, e := range msg.evs {
			cmds = append(cmds, m.onBatchEvent(e, now))
		}
		if m.uploads.running > 0 {
			cmds = append(cmds, m.uploads.wait())
		}
		if m.quitting && m.uploads.running == 0 {
			cmds = append(cmds, tea.Quit)
		}
		return tea.Batch(cmds...), true
	case uiTickMsg:
		if m.uploads.inFlight() > 0 {
			return m.uiTick(), true
		}
		return nil, true
	case pollTickMsg:
		if msg.at.Equal(m.polls.tickAt) {
			m.polls.tickAt = time.Time{}
		}
		return m.pollNow(now), true
	case statusCheckedMsg:
		return m.onChecked(msg, now), true
	case appendedMsg:
		if msg.err != nil {
			m.notice = notice{text: msg.what + ": " + msg.err.Error(), kind: noticeErr}
		}
		return m.readNow(), true
	case savedMsg:
		return m.onSaved(msg), true
	case rememberedMsg:
		if msg.err != nil {
			m.notice = notice{text: "could not remember the form values: " + msg.err.Error(), kind: noticeWarn}
		}
		return nil, true
	case filesChosenMsg:
		m.form = newFormScreen(m.sh, msg.paths, m.sh.deps.Defaults)
		m.setPage(pageForm)
		if m.w < minWidth || m.h < minHeight {
			return nil, true // started by the next WindowSizeMsg that fits
		}
		return m.form.init(), true
	case formBackMsg:
		m.setPage(pageFiles)
		return nil, true
	case submitFormMsg:
		return m.submitFiles(msg), true
	case keyEnteredMsg:
		return m.onKeyEntered(msg), true
	case gotoFilesMsg:
		m.setPage(pageFiles)
		return m.files.refresh(), true
	case gotoHistoryMsg:
		if msg.selectID != "" {
			m.history.selectID(msg.selectID)
		}
		m.setPage(pageHistory)
		return nil, true
	case openDetailsMsg:
		m.setPage(pageDetails)
		return m.details.open(msg.id), true
	case backMsg:
		m.setPage(pageHistory)
		return nil, true
	case copyMsg:
		sub := m.hist.get(msg.id)
		if sub == nil || sub.BatchID == "" {
			m.notice = notice{text: "this submission has no batch id to copy", kind: noticeWarn}
			return nil, true
		}
		m.notice = notice{text: "copied batch id " + sub.BatchID + " (OSC 52; under tmux: set -g set-clipboard on)"}
		return tea.SetClipboard(sub.BatchID), true
	case recheckMsg:
		return m.recheck(msg.id, now), true
	case recheckAllMsg:
		return m.recheckAll(now), true
	case saveResultMsg:
		return m.saveResult(msg.id, msg.dst, false), true
	case resubmitMsg:
		return m.resubmit(msg.id), true
	case hideMsg:
		return m.hide(msg.id), true
	case interruptMsg:
		m.quitting = true
		m.uploads.cancelAll()
		if m.uploads.running == 0 {
			return tea.Quit, true
		}
		m.notice = notice{text: "Interrupted: cancelling uploads and recording them in the history…", kind: noticeWarn}
		return nil, true
	case formBackToMsg:
		m.keyp = nil
		if m.form != nil {
			m.setPage(pageForm)
		} else {
			m.setPage(pageFiles)
		}
		return nil, true
	case cancelUploadsMsg:
		n := m.uploads.inFlight()
		m.confirm = &confirmation{
			question: fmt.Sprintf("Cancel %d running upload(s)? They are recorded as interrupted. (y/N)", n),
			yes: func(m *Model) tea.Cmd {
				m.uploads.cancelAll()
				return nil
			},
		}
		return nil, true
	}
	return nil, false
}

// watch schedules the next look for other processes' appends.
func (m *Model) watch() tea.Cmd {
	return tea.Tick(m.sh.deps.WatchEvery, func(time.Time) tea.Msg { return watchTickMsg{} })
}

// readNow reads the history's new tail now, or as soon as the read in flight
// is done.
func (m *Model) readNow() tea.Cmd {
	if m.reading {
		m.reread = true
		return nil
	}
	m.reading = true
	if m.loading {
		return nil
	}
	return m.reader.refresh
}

func (m *Model) uiTick() tea.Cmd {
	return tea.Tick(m.sh.deps.TickEvery, func(time.Time) tea.Msg { return uiTickMsg{} })
}

func (m *Model) onBatchEvent(e tea.Msg, now time.Time) tea.Cmd {
	switch e := e.(type) {
	case batchEventMsg:
		m.uploads.apply(e, now)
		if e.ev.Type == submit.EventDone || e.ev.Type == submit.EventStarted {
			return m.readNow()
		}
	case batchDoneMsg:
		m.uploads.running--
		cmd := m.readNow()
		if m.uploads.inFlight() == 0 && m.page == pageSubmit {
			allOK := true
			var newest string
			for _, u := range m.uploads.items {
				if u.batch == e.batch {
					allOK = allOK && u.outcome == store.KindSubmitted
					newest = u.id
				}
			}
			if allOK {
				// Everything went through: show the new rows in History.
				return tea.Batch(cmd, emit(gotoHistoryMsg{selectID: newest}))
			}
		}
		return cmd
	}
	return nil
}

// client returns the API client for the current key, making it on first use.
func (m *Model) apiClient() (*submit.Client, error) {
	if m.client != nil {
		return m.client, nil
	}
	c, err := m.sh.deps.Client(m.apiKey)
	if err != nil {
		return nil, err
	}
	m.client = c
	return c, nil
}

func (m *Model) hasKey() bool { return m.apiKey != "" || m.sh.deps.Demo }

// submitFiles starts uploading; with no key it asks for one first.
func (m *Model) submitFiles(req submitFormMsg) tea.Cmd {
	if !m.hasKey() {
		m.keyp = newKeyScreen(m.sh, &req, m.sh.deps.SaveKey != nil)
		m.setPage(pageKey)
		return m.keyp.init()
	}
	client, err := m.apiClient()
	if err != nil {
		m.notice = notice{text: err.Error(), kind: noticeErr}
		return nil
	}
	items := make([]submit.BatchItem, len(req.files))
	for i, f := range req.files {
		opts := req.opts
		opts.Force = opts.Force || m.sh.deps.Force
		items[i] = submit.BatchItem{ID: store.NewID(), File: f, Options: opts, ResubmitOf: req.resubmitOf}
	}
	cmds := []tea.Cmd{m.uploads.start(client, m.sh.deps.Store, items, m.sh.deps.Concurrency), m.uiTick()}
	if req.resubmitOf == "" {
		// The next form starts from these values, in this session and,
		// through the config file, the next.
		opts := req.opts
		opts.Force = false
		m.sh.deps.Defaults = opts
		if rem := m.sh.deps.Remember; rem != nil {
			cmds = append(cmds, func() tea.Msg { return rememberedMsg{err: rem(opts)} })
		}
	}
	m.setPage(pageSubmit)
	return tea.Batch(cmds...)
}

func (m *Model) onKeyEntered(msg keyEnteredMsg) tea.Cmd {
	m.apiKey = msg.key
	m.client = nil
	var cmds []tea.Cmd
	if msg.save && m.sh.deps.SaveKey != nil {
		save, k := m.sh.deps.SaveKey, msg.key
		cmds = append(cmds, func() tea.Msg {
			if err := save(k); err != nil {
				return appendedMsg{what: "saving the API key", err: err}
			}
			return nil
		})
	}
	if msg.then != nil {
		cmds = append(cmds, m.submitFiles(*msg.then))
	} else {
		m.setPage(pageHistory)
	}
	m.keyp = nil
	return tea.Batch(cmds...)
}

// pollNow starts the checks that are due and schedules the next tick.
func (m *Model) pollNow(now time.Time) tea.Cmd {
	if !m.hasKey() {
		return nil
	}
	client, err := m.apiClient()
	if err != nil {
		return nil
	}
	var cmds []tea.Cmd
	for _, id := range m.polls.due(now) {
		sub := m.hist.get(id)
		if sub == nil {
			m.polls.forget(id)
			continue
		}
		m.polls.running[id] = true
		cmds = append(cmds, checkCmd(client, m.sh.deps.Store, *sub, false))
	}
	cmds = append(cmds, m.polls.schedule(now))
	return tea.Batch(cmds...)
}

func (m *Model) recheck(id string, now time.Time) tea.Cmd {
	sub := m.hist.get(id)
	switch {
	case sub == nil:
		return nil
	case !submit.Checkable(sub):
		m.notice = notice{text: submit.NoJobReason(sub) + "; x resubmits it", kind: noticeWarn}
		return nil
	case !m.hasKey():
		m.notice = notice{text: "no API key: set FIREWORKS_API_KEY or submit a file to enter one", kind: noticeWarn}
		return nil
	case m.polls.running[id]:
		return nil
	}
	client, err := m.apiClient()
	if err != nil {
		m.notice = notice{text: err.Error(), kind: noticeErr}
		return nil
	}
	m.polls.running[id] = true
	m.notice = notice{text: "checking " + sub.BatchID + "…"}
	return checkCmd(client, m.sh.deps.Store, *sub, true)
}

func (m *Model) recheckAll(now time.Time) tea.Cmd {
	n := 0
	for _, r := range m.hist.rows {
		if submit.NeedsCheck(&r.sub) {
			m.polls.track(&r.sub, now, false)
			m.polls.next[r.sub.ID] = now
			n++
		}
	}
	if n == 0 {
		m.notice = notice{text: "no pending jobs to check"}
		return nil
	}
	m.notice = notice{text: fmt.Sprintf("checking %d pending job(s)…", n)}
	return m.pollNow(now)
}

func (m *Model) onChecked(msg statusCheckedMsg, now time.Time) tea.Cmd {
	delete(m.polls.running, msg.id)
	sub := m.hist.get(msg.id)
	name := msg.id
	if sub != nil {
		name = filepath.Base(sub.File)
	}
	switch {
	case msg.err != nil:
		m.polls.checked(msg.id, now)
		if msg.manual {
			m.notice = notice{text: name + ": " + submit.Explain(msg.err), kind: noticeErr}
		}
	case msg.res.State == submit.Pending:
		m.polls.checked(msg.id, now)
		if msg.manual {
			m.notice = notice{text: name + ": still " + msg.res.Job.Status}
		}
	default:
		// A job finished: say so even when the check ran in the background.
		m.polls.forget(msg.id)
		switch msg.res.State {
		case submit.Completed:
			m.notice = notice{text: name + ": completed; transcript saved to " + msg.res.ResultPath}
		case submit.NotFound:
			m.notice = notice{text: name + ": not found: the server does not know this job (" + msg.res.Job.Message +
				"); no more background checks, r asks again", kind: noticeWarn}
		default:
			m.notice = notice{text: name + ": " + msg.res.Job.Status + ": " + msg.res.Job.Message, kind: noticeWarn}
		}
	}
	return tea.Batch(m.readNow(), m.pollNow(now))
}

// saveResult writes a completed job's transcript for the user: next to the
// audio by default, never over an existing file unless overwrite.
func (m *Model) saveResult(id, dst string, overwrite bool) tea.Cmd {
	sub := m.hist.get(id)
	if sub == nil {
		return nil
	}
	if sub.ResultPath == "" {
		if submit.NeedsCheck(sub) {
			m.notice = notice{text: "no transcript yet: the job is not completed (r checks now)", kind: noticeWarn}
		} else {
			m.notice = notice{text: "this submission has no transcript to save", kind: noticeWarn}
		}
		return nil
	}
	if dst == "" {
		dst = defaultSavePath(sub)
	}
	src := sub.ResultPath
	return func() tea.Msg {
		return saveFile(id, src, dst, overwrite)
	}
}

func saveFile(id, src, dst string, overwrite bool) savedMsg {
	data, err := os.ReadFile(src)
	if err != nil {
		return savedMsg{id: id, path: dst, err: fmt.Errorf("saved result %s: %w", src, err)}
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return savedMsg{id: id, path: dst, err: fmt.Errorf("%s is a folder: give a file name", dst)}
	}
	err = submit.WriteResult(dst, data, overwrite)
	if errors.Is(err, fs.ErrExist) {
		return savedMsg{id: id, path: dst, exists: true}
	}
	return savedMsg{id: id, path: dst, err: err}
}

func (m *Model) onSaved(msg savedMsg) tea.Cmd {
	switch {
	case msg.exists:
		m.confirm = &confirmation{
			question: fmt.Sprintf("%s exists. Overwrite it? (y/N)", msg.path),
			yes: func(m *Model) tea.Cmd {
				return m.saveResult(msg.id, msg.path, true)
			},
		}
	case msg.err != nil:
		m.notice = notice{text: msg.err.Error(), kind: noticeErr}
	default:
		m.notice = notice{text: "saved " + msg.path}
	}
	return nil
}

// resubmit uploads the same file again with the same options, after a
// warning where the first attempt may have created a job.
func (m *Model) resubmit(id string) tea.Cmd {
	sub := m.hist.get(id)
	if sub == nil {
		return nil
	}
	opts, err := submit.OptionsFrom(sub.Task, sub.Endpoint, sub.Model, sub.Options)
	if err != nil {
		m.notice = notice{text: "cannot resubmit: " + err.Error(), kind: noticeErr}
		return nil
	}
	req := submitFormMsg{files: []string{sub.File}, opts: opts, resubmitOf: sub.ID}
	var warn string
	switch sub.Outcome {
	case store.OutcomeUnknown:
		warn = "The first upload's outcome is unknown: a job may exist already, and resubmitting may create a duplicate (billed twice)."
	case store.OutcomeSubmitted:
		warn = "This file was already submitted (batch " + sub.BatchID + "). Submit it again as a new job?"
	case store.OutcomeUploading:
		uploading, elsewhere := m.activity(sub.ID)
		if uploading || elsewhere {
			m.notice = notice{text: "this file is still uploading; wait for its outcome", kind: noticeWarn}
			return nil
		}
		warn = "The first upload was interrupted; it may have reached the server and created a job."
	}
	if warn == "" {
		return m.submitFiles(req)
	}
	m.confirm = &confirmation{
		question: warn + " Resubmit " + filepath.Base(sub.File) + "? (y/N)",
		yes:      func(m *Model) tea.Cmd { return m.submitFiles(req) },
	}
	return nil
}

func (m *Model) hide(id string) tea.Cmd {
	sub := m.hist.get(id)
	if sub == nil {
		return nil
	}
	m.confirm = &confirmation{
		question: "Hide " + filepath.Base(sub.File) + " from the history? It stays in the file. (y/N)",
		yes: func(m *Model) tea.Cmd {
			st := m.sh.deps.Store
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err := st.Append(ctx, store.Event{Kind: store.KindHidden, ID: id})
				return appendedMsg{what: "hiding the entry", err: err}
			}
		},
	}
	return nil
}

// activity says whether id is being uploaded by this process, or by another
// live one (from the reader's liveness check).
func (m *Model) activity(id string) (uploading, elsewhere bool) {
	if u := m.uploads.byID[id]; u != nil && !u.done {
		return true, false
	}
	return false, m.hist.elsewhere[id]
}
