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
		id, path, format string
		err              error
		exists           bool // the destination exists; nothing was written
	}
	rememberedMsg struct{ err error }
	// submitFormMsg: the form was submitted for these files.
	submitFormMsg struct {
		files      []string
		opts       submit.Options
		resubmitOf string
		refused    map[string]string // files the form left out, with why
		// skipDone: each upload is made only if, when it starts, no
		// submission of the same recording with these options is live or
		// of unknown outcome (another fwbatch may send it meanwhile);
		// skipped are the files the form left out for that.
		skipDone bool
		skipped  []string
	}
	// filesChosenMsg: the user picked files in Files.
	filesChosenMsg struct{ paths []string }
	// formBackMsg: esc in the form.
	formBackMsg struct{}
	// noticeMsg: a screen has something to say on the notice line.
	noticeMsg struct{ notice }
)

// handleEvent deals with messages that belong to the root. It reports
// whether msg was one of them.
func (m *Model) handleEvent(msg tea.Msg) (tea.Cmd, bool) {
	now := m.sh.now()
	switch msg := msg.(type) {
	case historyLoadedMsg:
		m.loading, m.reading = false, false
		if msg.err != nil {
			m.say(notice{text: msg.err.Error(), kind: noticeErr})
			m.sh.rec.unreadable = true
			return m.watch(), true
		}
		m.sh.rec.unreadable = false
		m.hist.replace(msg.prepared(), msg.report)
		m.hist.elsewhere = msg.elsewhere
		for _, r := range m.hist.rows {
			m.polls.track(&r.sub, now, true)
		}
		if !msg.report.Clean() {
			m.say(notice{text: msg.report.String(), kind: noticeWarn})
		}
		next := m.watch()
		if !m.compacted {
			m.compacted, m.reading = true, true
			next = m.reader.compact
		}
		var read tea.Cmd
		if !msg.announced {
			read = m.historyRead(msg.submissions(), nil)
		}
		return tea.Batch(next, m.pollNow(now), m.details.loadIfSaved(), read), true
	case historySnapshotMsg:
		return tea.Batch(m.historyRead(msg.all, msg.index), msg.rows), true
	case compactedMsg:
		switch rep := msg.report; {
		case msg.err != nil:
			m.say(notice{text: "the history was not compacted: " + msg.err.Error(), kind: noticeWarn})
		case rep != nil && rep.Corrupt != "":
			m.say(notice{text: fmt.Sprintf("history compacted; %d unreadable line(s) moved to %s", rep.Unreadable, rep.Corrupt), kind: noticeWarn})
		case rep != nil && rep.Rewritten:
			m.say(notice{text: fmt.Sprintf("history compacted: %d → %d lines (the old file is kept as %s)", rep.LinesBefore, rep.LinesAfter, rep.Backup)})
		}
		_, cmd := m.Update(msg.next)
		return cmd, true
	case historyChangedMsg:
		m.reading = false
		// Most reads find nothing new: nothing on screen changes then.
		m.quiet = len(msg.subs) == 0 && msg.report == nil && sameSet(m.hist.elsewhere, msg.elsewhere)
		if msg.err != nil && m.sayNew(notice{subject: "history", text: msg.err.Error(), kind: noticeErr}) {
			m.quiet = false
		}
		m.hist.apply(msg.subs)
		m.hist.elsewhere = msg.elsewhere
		if msg.report != nil {
			if !msg.report.Clean() && msg.report.String() != m.hist.report.String() {
				m.say(notice{text: msg.report.String(), kind: noticeWarn})
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
		var read tea.Cmd
		if msg.all != nil {
			read = m.historyRead(msg.all, nil)
		}
		return tea.Batch(cmd, m.pollNow(now), m.details.loadIfSaved(), read), true
	case watchTickMsg:
		m.quiet = true
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
		m.quiet = true
		return nil, true
	case pollTickMsg:
		m.quiet = true // checks start; nothing shows until they answer
		if msg.at.Equal(m.polls.tickAt) {
			m.polls.tickAt = time.Time{}
		}
		return m.pollNow(now), true
	case statusCheckedMsg:
		return m.onChecked(msg, now), true
	case appendedMsg:
		if msg.err != nil {
			m.say(notice{text: msg.what + ": " + msg.err.Error(), kind: noticeErr})
		}
		return m.readNow(), true
	case savedMsg:
		return m.onSaved(msg), true
	case rememberedMsg:
		if msg.err != nil {
			m.say(notice{text: "could not remember the form values: " + msg.err.Error(), kind: noticeWarn})
		}
		return nil, true
	case filesChosenMsg:
		values := valuesOf(m.sh.deps.Defaults)
		if m.formDraft != nil {
			values = *m.formDraft // esc and back keeps what was typed
		}
		m.form = newFormScreen(m.sh, msg.paths, values)
		m.setPage(pageForm)
		if m.w < minWidth || m.h < minHeight {
			return nil, true // started by the next WindowSizeMsg that fits
		}
		return m.form.init(), true
	case formBackMsg:
		if m.form != nil && m.form.edited() {
			draft := m.form.formValues
			m.formDraft = &draft
		}
		m.setPage(pageFiles)
		return m.files.onShow(), true
	case noticeMsg:
		m.say(msg.notice)
		return nil, true
	case closeLogMsg:
		m.setPage(m.prevPage)
		if m.page == pageFiles {
			return m.files.onShow(), true
		}
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
		if msg.reveal {
			if q := m.history.reveal(msg.selectID); q != "" {
				m.say(notice{text: fmt.Sprintf("filter %q cleared to show the new submissions (/ filters again)", q)})
			}
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
			m.say(notice{text: "this submission has no batch id to copy", kind: noticeWarn})
			return nil, true
		}
		m.say(notice{text: "copied batch id " + sub.BatchID + " (OSC 52; under tmux: set -g set-clipboard on)"})
		return tea.SetClipboard(sub.BatchID), true
	case recheckMsg:
		return m.recheck(msg.id, now), true
	case recheckAllMsg:
		return m.recheckAll(now), true
	case saveResultMsg:
		return m.saveResult(msg.id, msg.dst, msg.format, false), true
	case resubmitMsg:
		return m.resubmit(msg.id), true
	case hideMsg:
		return m.hide(msg.id), true
	case interruptMsg:
		m.quitting = true
		m.dialog = nil
		m.interrupt()
		if m.uploads.running == 0 {
			return tea.Quit, true
		}
		m.say(notice{text: "Interrupted: cancelling uploads and recording them in the history…", kind: noticeWarn})
		return nil, true
	case formBackToMsg:
		m.keyp = nil
		m.setPage(m.keyFrom)
		return nil, true
	case cancelUploadsMsg:
		running, queued := m.uploads.counts()
		m.ask(&dialog{
			title: "Cancel the uploads?",
			text: capitalize(describeCounts(running, queued)) + ". Uploads running now stop and are recorded as interrupted; " +
				"queued files are not sent. Submit them again later from Files or History.",
			yes: "Cancel uploads", no: "Keep uploading", safe: true,
			onYes: func(m *Model) tea.Cmd {
				m.interrupt()
				return nil
			},
		})
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
	case batchSizesMsg:
		for id, size := range e.sizes {
			if up := m.uploads.byID[id]; up != nil && up.total == 0 {
				up.total = size
			}
		}
	case batchEventMsg:
		m.uploads.apply(e, now)
		if e.ev.Type == submit.EventDone {
			m.sayOutcome(e.ev)
		}
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
					allOK = allOK && (u.outcome == store.KindSubmitted || u.skipped)
					newest = u.id
				}
			}
			if allOK {
				// Everything went through: show the new rows in History.
				return tea.Batch(cmd, emit(gotoHistoryMsg{selectID: newest, reveal: true}))
			}
		}
		return cmd
	}
	return nil
}

// sameSet reports whether a and b hold the same keys.
func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// sayOutcome tells how an upload ended, refusals before any upload (not
// audio, unreadable) included.
func (m *Model) sayOutcome(ev submit.BatchEvent) {
	n := notice{subject: filepath.Base(ev.Item.File)}
	switch {
	case ev.Skipped != nil:
		n.text = "not sent: " + skippedBecause(ev.Skipped)
	case ev.Outcome == store.KindSubmitted && ev.Err == nil:
		n.text = "submitted, batch id " + ev.Reply.BatchID
		if ev.Reply.Odd != "" {
			n.text, n.kind = n.text+", but "+ev.Reply.Odd, noticeWarn
		}
	case ev.Outcome == store.KindSubmitted:
		n.text, n.kind = submit.Explain(ev.Err), noticeErr // submitted, not recorded
	case ev.Outcome == store.KindFailed:
		n.text, n.kind = "not submitted: "+submit.Explain(ev.Err), noticeErr
	default:
		n.text, n.kind = string(ev.Outcome)+": "+submit.Explain(ev.Err), noticeWarn
	}
	m.say(n)
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
		return m.askKey(&req)
	}
	client, err := m.apiClient()
	if err != nil {
		m.say(notice{text: err.Error(), kind: noticeErr})
		return nil
	}
	for f, why := range req.refused {
		m.say(notice{subject: displayName(f), text: "not sent: " + why, kind: noticeErr})
	}
	m.saySkipped(req.skipped)
	items := make([]submit.BatchItem, len(req.files))
	for i, f := range req.files {
		opts := req.opts
		opts.Force = opts.Force || m.sh.deps.Force
		items[i] = submit.BatchItem{ID: store.NewID(), File: f, Options: opts, ResubmitOf: req.resubmitOf}
		if req.skipDone {
			items[i].Unless = m.guard.Unless(opts)
		}
	}
	cmds := []tea.Cmd{m.uploads.start(client, m.sh.deps.Store, items, m.sh.deps.Concurrency), m.uiTick()}
	// Files sent are not marked any more: coming back to Files must not
	// offer to send them again.
	m.files.unmark(req.files...)
	m.files.unmark(req.skipped...)
	for f := range req.refused {
		m.files.unmark(f) // told in the log; marked, it would be offered again
	}
	if req.resubmitOf == "" {
		// The next form starts from these values, in this session and,
		// through the config file, the next.
		opts := req.opts
		opts.Force = false
		m.sh.deps.Defaults = opts
		m.formDraft = nil
		if rem := m.sh.deps.Remember; rem != nil {
			cmds = append(cmds, func() tea.Msg { return rememberedMsg{err: rem(opts)} })
		}
	}
	m.setPage(pageSubmit)
	return tea.Batch(cmds...)
}

// askKey opens the API key prompt; then, when set, is submitted with the
// key. K opens it at any time: a key refused (HTTP 401) is not a dead end.
func (m *Model) askKey(then *submitFormMsg) tea.Cmd {
	if m.sh.deps.Demo {
		m.say(notice{text: "the demo needs no API key: its fake API takes the demo's own"})
		return nil
	}
	m.keyFrom = m.page
	m.keyp = newKeyScreen(m.sh, then, m.sh.deps.SaveKey != nil, m.apiKey != "")
	m.setPage(pageKey)
	return m.keyp.init()
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
	m.keyp = nil
	m.say(notice{text: "using the API key " + maskKey(msg.key) + map[bool]string{true: ", saved to " + m.sh.deps.ConfigPath, false: " for this session"}[msg.save && m.sh.deps.SaveKey != nil]})
	if msg.then != nil {
		cmds = append(cmds, m.submitFiles(*msg.then))
	} else {
		m.setPage(m.keyFrom)
		cmds = append(cmds, m.pollNow(m.sh.now()))
	}
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
		m.say(notice{subject: filepath.Base(sub.File), text: submit.NoJobReason(sub) + "; x resubmits it", kind: noticeWarn})
		return nil
	case !m.hasKey():
		m.say(notice{text: "no API key: set FIREWORKS_API_KEY or submit a file to enter one", kind: noticeWarn})
		return nil
	case m.polls.running[id]:
		return nil
	}
	client, err := m.apiClient()
	if err != nil {
		m.say(notice{text: err.Error(), kind: noticeErr})
		return nil
	}
	m.polls.running[id] = true
	m.say(notice{text: "checking " + sub.BatchID + "…"})
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
		m.say(notice{text: "no pending jobs to check"})
		return nil
	}
	m.say(notice{text: fmt.Sprintf("checking %d pending job(s)…", n)})
	return m.pollNow(now)
}

func (m *Model) onChecked(msg statusCheckedMsg, now time.Time) tea.Cmd {
	delete(m.polls.running, msg.id)
	name := msg.id
	if sub := m.hist.get(msg.id); sub != nil {
		name = filepath.Base(sub.File)
	}
	// A check asked for is always answered; a background one tells what
	// is new, failures included, and not the same thing again and again.
	say := m.sayNew
	if msg.manual {
		say = func(n notice) bool { m.say(n); return true }
	}
	_, noted := m.checks[msg.id]
	switch {
	case msg.res != nil && msg.err != nil:
		// The server answered, and what it said could not be kept whole
		// (a transcript that could not be saved): the row shows both.
		m.checks[msg.id] = checkNote{status: msg.res.Job.Status, problem: submit.Explain(msg.err)}
		m.polls.checked(msg.id, now)
		say(notice{subject: name, kind: noticeErr,
			text: msg.res.Job.Status + " on the server, but not saved here: " + submit.Explain(msg.err) + " (checked again later; r now)"})
	case msg.err != nil:
		m.polls.checked(msg.id, now)
		// Told once until something else is said: a repeat shows nothing new.
		m.quiet = !say(notice{subject: name, text: "status check failed: " + submit.Explain(msg.err), kind: noticeErr}) && !noted
	case msg.res.State == submit.Pending:
		delete(m.checks, msg.id)
		m.polls.checked(msg.id, now)
		switch {
		case msg.manual:
			say(notice{subject: name, text: "still " + msg.res.Job.Status})
		case msg.res.Recorded:
			say(notice{subject: name, text: msg.res.Job.Status})
		default:
			m.quiet = !noted // as the history said: nothing shows
		}
	default:
		// A job finished: say so even when the check ran in the background.
		delete(m.checks, msg.id)
		m.polls.forget(msg.id)
		switch msg.res.State {
		case submit.Completed:
			m.say(notice{subject: name, text: "completed; transcript saved to " + msg.res.ResultPath})
		case submit.NotFound:
			m.say(notice{subject: name, text: "not found: the server does not know this job (" + msg.res.Job.Message +
				"); no more background checks, r asks again", kind: noticeWarn})
		default:
			text := msg.res.Job.Status
			if msg.res.Job.Message != "" {
				text += ": " + msg.res.Job.Message
			}
			m.say(notice{subject: name, text: text, kind: noticeWarn})
		}
	}
	if msg.res == nil || !msg.res.Recorded {
		// Nothing was written: the history has nothing new to read (what
		// others write, the watch finds).
		return m.pollNow(now)
	}
	return tea.Batch(m.readNow(), m.pollNow(now))
}

// saveResult writes a completed job's transcript for the user, in format
// ("" as returned): next to the audio by default, never over an existing
// file unless overwrite.
func (m *Model) saveResult(id, dst, format string, overwrite bool) tea.Cmd {
	sub := m.hist.get(id)
	if sub == nil {
		return nil
	}
	if sub.ResultPath == "" {
		if submit.NeedsCheck(sub) {
			m.say(notice{text: "no transcript yet: the job is not completed (r checks now)", kind: noticeWarn})
		} else {
			m.say(notice{text: "this submission has no transcript to save", kind: noticeWarn})
		}
		return nil
	}
	beside := defaultSavePath(sub, format)
	if dst == "" {
		dst = beside
	}
	src, responseFormat := sub.ResultPath, formatOf(sub)
	what := displayName(sub.File) + " (batch " + sub.BatchID + ")"
	return func() tea.Msg {
		msg := saveFile(id, src, dst, filepath.Base(beside), responseFormat, format, what, overwrite)
		msg.format = format
		return msg
	}
}

// saveFile writes a saved result to dst, in format ("" as returned, else
// made from it); a folder given as dst gets the transcript under name.
func saveFile(id, src, dst, name, responseFormat, format, what string, overwrite bool) savedMsg {
	data, err := os.ReadFile(src)
	if err != nil {
		return savedMsg{id: id, path: dst, err: fmt.Errorf("saved result %s: %w", src, err)}
	}
	if format != "" {
		if data, err = submit.Render(what, responseFormat, data, format); err != nil {
			return savedMsg{id: id, path: dst, err: err}
		}
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		dst = filepath.Join(dst, name)
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
		m.ask(&dialog{
			title: "Overwrite " + safeName(filepath.Base(msg.path)) + "?",
			text:  safeName(msg.path) + " exists. Overwriting replaces it with this transcript; o saves it under another name.",
			yes:   "Overwrite", no: "Keep it", safe: true,
			onYes: func(m *Model) tea.Cmd {
				return m.saveResult(msg.id, msg.path, msg.format, true)
			},
		})
	case msg.err != nil:
		m.say(notice{text: msg.err.Error(), kind: noticeErr})
	default:
		m.say(notice{text: "saved " + msg.path})
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
		m.say(notice{text: "cannot resubmit: " + err.Error(), kind: noticeErr})
		return nil
	}
	req := submitFormMsg{files: []string{sub.File}, opts: opts, resubmitOf: sub.ID}
	var warn string
	switch sub.Outcome {
	case store.OutcomeUnknown:
		warn = "The first upload's outcome is unknown: a job may exist already, and resubmitting may create a duplicate (billed twice)."
	case store.OutcomeSubmitted:
		warn = "This file was already submitted as batch " + safeName(sub.BatchID) + ". Resubmitting makes a second job (billed again)."
	case store.OutcomeUploading:
		if rs := m.rowState(sub.ID); rs.uploading || rs.elsewhere {
			m.say(notice{subject: displayName(sub.File), text: "still uploading; wait for its outcome", kind: noticeWarn})
			return nil
		}
		warn = "The first upload was interrupted: it may have reached the server and created a job."
	}
	if warn == "" {
		return m.submitFiles(req)
	}
	m.ask(&dialog{
		title: "Resubmit " + displayName(sub.File) + "?",
		text:  warn + " The file is uploaded again, with the same options, as a new entry.",
		yes:   "Resubmit", no: "Cancel", safe: true,
		onYes: func(m *Model) tea.Cmd { return m.submitFiles(req) },
	})
	return nil
}

func (m *Model) hide(id string) tea.Cmd {
	sub := m.hist.get(id)
	if sub == nil {
		return nil
	}
	m.ask(&dialog{
		title: "Hide " + displayName(sub.File) + "?",
		text:  "It leaves the History list. Its record stays in the history file (fwbatch list --all shows it), and its job is not checked any more.",
		yes:   "Hide", no: "Keep", safe: true,
		onYes: func(m *Model) tea.Cmd {
			st := m.sh.deps.Store
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err := st.Append(ctx, store.Event{Kind: store.KindHidden, ID: id})
				return appendedMsg{what: "hiding the entry", err: err}
			}
		},
	})
	return nil
}

// checkNote is what a status check found that the history does not hold:
// the server's status, and why it was not recorded in full.
type checkNote struct{ status, problem string }

// rowState says what the history file alone does not about id: whether
// this process is uploading it, or another live one (from the reader's
// liveness check), and what a check found but could not record.
func (m *Model) rowState(id string) rowState {
	var rs rowState
	if u := m.uploads.byID[id]; u != nil && !u.done {
		rs.uploading = true
	} else {
		rs.elsewhere = m.hist.elsewhere[id]
	}
	if n, ok := m.checks[id]; ok {
		rs.said, rs.problem = n.status, n.problem
	}
	return rs
}
