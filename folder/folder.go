// Package folder is fwbatch's folder work (`fwbatch sync`): it submits the
// recordings of folders that have no live job for a set of options yet,
// follows the pending jobs, and writes each completed transcript next to
// its audio, so that running it again (from cron, after a crash, in two
// terminals at once) never pays for a recording twice. It reports what
// happens to each file; the command line prints it. The rules are in
// README.md.
package folder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/transcripts"
)

// Config is one sync.
type Config struct {
	Store *store.Store
	// Client talks to the API; nil only for a dry run.
	Client *submit.Client
	// Options are the request options every file is sent with, and what
	// "done" is judged against.
	Options submit.Options
	// Formats are the output formats written from each result
	// (submit.OutputFormats); none: the result as the API returned it.
	// Every one must be renderable from Options.ResponseFormat.
	Formats     []string
	Recursive   bool
	Out         string // mirror the tree here instead of writing next to the audio
	Force       bool   // overwrite transcripts fwbatch did not write, or that were changed since
	Concurrency int    // uploads at once
	DryRun      bool   // say what would be done; send, check and write nothing
	Wait        bool   // keep checking until every job is completed or failed
	Watch       bool   // keep running: look for new files, follow jobs, until ctx ends
	Settle      time.Duration
	// PollFirst is the first wait before checking jobs again; waits grow by
	// half each time up to PollMax.
	PollFirst, PollMax time.Duration
	// ScanEvery is how often --watch looks at the folders (default: a
	// quarter of Settle, between 100 ms and 5 s).
	ScanEvery time.Duration
	Now       func() time.Time
	Logf      func(format string, args ...any) // the debug log
	// Warn says, in one line, what reading the files beside the work
	// skipped or found damaged (the history's unreadable lines, the
	// fingerprint cache, the transcript ledger); nothing is lost.
	Warn func(string)
	// Alive is store.ProcessAlive unless a test says otherwise.
	Alive recording.Alive
}

// State is what became of a file, the first word of its line.
type State string

const (
	Submitted   State = "submitted"   // sent now; the job is processing
	Skipped     State = "skipped"     // done for these options, its transcripts written: nothing to do
	Processing  State = "processing"  // its job has not finished
	Uploading   State = "uploading"   // another fwbatch process is sending it now
	Written     State = "written"     // its transcripts were written now
	Kept        State = "kept"        // a transcript was changed by hand since fwbatch wrote it: kept
	Waiting     State = "waiting"     // still changing (being copied in?): sent once still for Settle
	Failed      State = "failed"      // not sent, the job failed, or a transcript could not be written
	Unknown     State = "unknown"     // a job may exist: never sent again automatically
	Interrupted State = "interrupted" // the upload was stopped (SIGINT, SIGTERM)

	WouldSubmit State = "would submit" // dry run
	WouldWrite  State = "would write"  // dry run
)

// Bad reports whether a file in this state makes the run fail (exit 1).
func (s State) Bad() bool { return s == Failed || s == Unknown || s == Interrupted }

// Report is what happened to one file.
type Report struct {
	File      string // as the user named it (the argument, joined with the path below it)
	State     State
	ID        string // the local submission id that decides it, "" if none
	BatchID   string
	AccountID string
	Status    string   // the job's status, as the server spelled it
	Written   []string // transcript files written now (or that would be)
	Message   string   // what the state needs said: why it failed, which batch it is done as
}

// Summary counts the files by the last state reported of each.
type Summary struct {
	Files  int
	Counts map[State]int
}

// Failed reports whether some file ended in a bad state.
func (s Summary) Failed() bool {
	for st, n := range s.Counts {
		if n > 0 && st.Bad() {
			return true
		}
	}
	return false
}

// sync is one run's state.
type syncRun struct {
	cfg    Config
	report func(Report)

	hist   *store.History
	index  *recording.Index
	cache  *recording.Cache
	ledger *transcripts.Ledger
	guard  *recording.Guard
	settle *settler

	// tried holds the files this run sent, as they were: one whose upload
	// or job failed is not sent again in this run (a rerun tries again)
	// unless it changed; a watch must not send a refused file at every look.
	tried map[string]look
	began time.Time // when the run began: submissions since are its own

	mu   sync.Mutex
	last map[string]Report // by file: the last report, to report changes only
}

// Run syncs the folders and files args names, calling report (from
// several goroutines; it must be safe for that) with what happens to each
// file. A one-shot run reports every file once; with Wait or Watch a file
// is reported again when its state changes. The error is for what stops
// the run before it starts (the history cannot be read, a folder cannot be
// listed): a usage or setup error.
func Run(ctx context.Context, cfg Config, args []string, report func(Report)) (Summary, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.PollFirst <= 0 {
		cfg.PollFirst = 10 * time.Second
	}
	if cfg.PollMax < cfg.PollFirst {
		cfg.PollMax = cfg.PollFirst
	}
	if cfg.ScanEvery <= 0 {
		cfg.ScanEvery = min(max(cfg.Settle/4, 100*time.Millisecond), 5*time.Second)
	}
	if err := CheckArgs(args); err != nil {
		return Summary{}, err
	}
	if cfg.Out != "" {
		abs, err := filepath.Abs(cfg.Out)
		if err != nil {
			return Summary{}, fmt.Errorf("--out %s: %w", cfg.Out, err)
		}
		cfg.Out = abs
	}
	s := &syncRun{began: time.Now(), cfg: cfg, report: report, guard: recording.NewGuard(cfg.Alive), settle: newSettler(cfg.Settle), tried: map[string]look{}, last: map[string]Report{}}
	h, err := cfg.Store.Load()
	if err != nil {
		return Summary{}, err
	}
	s.hist = h
	if rep := h.Report(); !rep.Clean() {
		cfg.Warn(rep.String())
	}
	s.index = recording.NewIndex(h.Submissions(), cfg.Alive)
	s.cache = recording.OpenCache(cfg.Store.Path())
	if w := s.cache.Warning(); w != "" {
		cfg.Warn(w)
	}
	if s.ledger, err = transcripts.OpenLedger(cfg.Store.Path()); err != nil {
		return Summary{}, err
	}
	if w := s.ledger.Warning(); w != "" {
		cfg.Warn(w)
	}
	defer func() {
		if err := s.ledger.Compact(context.Background()); err != nil {
			cfg.Logf("sync: %v", err)
		}
	}()

	interval := cfg.PollFirst
	nextCheck := time.Time{} // the first round checks
	lastErr := ""
	for round := 1; ; round++ {
		now := cfg.Now()
		check := !now.Before(nextCheck)
		res, err := s.round(ctx, args, check)
		// What was read is kept after each round: a watch runs for days.
		if err := s.cache.Save(context.Background()); err != nil {
			cfg.Logf("sync: %v", err)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return s.summary(), nil
		case err != nil && !cfg.Watch:
			return s.summary(), err
		case err != nil:
			// A watch outlives a folder unmounted for a while, a history
			// locked by a long compaction: said once, tried again.
			if err.Error() != lastErr {
				cfg.Warn(err.Error() + "; trying again")
			}
			lastErr = err.Error()
		default:
			lastErr = ""
		}
		if ctx.Err() != nil || !cfg.Wait && !cfg.Watch || cfg.DryRun {
			return s.summary(), nil
		}
		if cfg.Wait && !cfg.Watch && !res.pending {
			return s.summary(), nil
		}
		now = cfg.Now()
		switch {
		case res.submitted:
			interval = cfg.PollFirst // new jobs: first check soon
			nextCheck = now.Add(interval)
		case check:
			nextCheck = now.Add(interval)
			interval = min(interval*3/2, cfg.PollMax)
		}
		wake := nextCheck
		if !res.settleAt.IsZero() && res.settleAt.Before(wake) {
			wake = res.settleAt
		}
		if cfg.Watch {
			wake = minTime(wake, now.Add(cfg.ScanEvery))
		}
		cfg.Logf("sync: round %d done; next at %s", round, wake.Format(time.RFC3339Nano))
		select {
		case <-ctx.Done():
			return s.summary(), nil
		case <-time.After(max(wake.Sub(now), time.Millisecond)):
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// roundResult is what a round leaves to do.
type roundResult struct {
	pending   bool      // a job is not finished, or a file waits to settle
	submitted bool      // something was sent
	settleAt  time.Time // when the next waiting file will have settled
}

// file is one file in a round: where it stands.
type file struct {
	found
	base     string // its transcripts' path without extension; "" when they have nowhere to go
	baseErr  error
	rec      recording.Recording
	verdict  recording.Verdict
	sub      *store.Submission // the submission that decides it
	recogErr error             // it had to be read and could not be
	checkErr error             // its job could not be checked this round
}

func (s *syncRun) round(ctx context.Context, args []string, check bool) (roundResult, error) {
	var res roundResult
	found, err := scan(args, s.cfg.Recursive)
	if err != nil {
		return res, err
	}
	keep := make(map[string]bool, len(found))
	for _, f := range found {
		keep[f.Path] = true
	}
	s.settle.forget(keep)
	basesOf, baseErrs := bases(found, s.cfg.Out)
	files := make([]*file, len(found))
	for i, f := range found {
		files[i] = &file{found: f, base: basesOf[i], baseErr: baseErrs[i]}
	}
	if err := s.recognise(ctx, files); err != nil {
		return res, err
	}

	// Follow the pending jobs first: one that completed is written now, one
	// that failed is sent again in this round.
	if check && !s.cfg.DryRun {
		if s.checkJobs(ctx, files) {
			if err := s.recognise(ctx, files); err != nil {
				return res, err
			}
		}
	}
	var send []*file
	now := s.cfg.Now()
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		switch {
		case f.err != nil:
			s.say(f, Report{State: Failed, Message: f.err.Error()})
		case f.recogErr != nil:
			s.say(f, Report{State: Failed, Message: submit.Explain(f.recogErr)})
		case f.checkErr != nil && f.verdict != recording.NotDone:
			s.say(f, Report{State: Failed, ID: f.sub.ID, BatchID: f.sub.BatchID, AccountID: f.sub.AccountID, Message: f.checkErr.Error()})
		case f.verdict == recording.Maybe:
			s.say(f, maybeReport(f.sub))
		case f.verdict == recording.Done:
			if s.done(ctx, f) {
				res.pending = true
			}
		default:
			if t, ok := s.tried[f.Path]; ok && t.size == f.Size && t.mtime.Equal(f.MTime) {
				// Sent in this run, and the upload or its job failed: said,
				// not sent again until the next run.
				if sub := f.rec.Status().Sub; sub != nil && !sub.Started.Before(s.began) {
					s.sayOnce(f, failedReport(sub))
				}
				continue
			}
			still, at := s.settle.still(f.File, now)
			if !still {
				res.pending = true
				res.settleAt = minTime(res.settleAt, at)
				s.say(f, Report{State: Waiting, Message: fmt.Sprintf("changed less than %s ago (being copied in?); sent once still for %s (--settle)", s.cfg.Settle, s.cfg.Settle)})
				continue
			}
			send = append(send, f)
		}
	}
	if len(send) > 0 && ctx.Err() == nil {
		if s.cfg.DryRun {
			for _, f := range send {
				s.say(f, Report{State: WouldSubmit})
			}
		} else {
			res.submitted = true
			res.pending = true
			s.submitAll(ctx, send)
		}
	}
	return res, nil
}

// recognise brings the history up to date and finds each file's
// submissions and verdict for the options.
func (s *syncRun) recognise(ctx context.Context, files []*file) error {
	changed, err := s.cfg.Store.Refresh(s.hist)
	if err != nil {
		return err
	}
	if changed {
		s.index = recording.NewIndex(s.hist.Submissions(), s.cfg.Alive)
	}
	list := make([]recording.File, 0, len(files))
	at := make([]int, 0, len(files))
	for i, f := range files {
		if f.err == nil {
			list = append(list, f.File)
			at = append(at, i)
		}
	}
	s.index.RecogniseAll(ctx, list, s.cache, 2, func(r recording.Found) {
		f := files[at[r.Index]]
		f.rec, f.recogErr = r.Recording, r.Err
		if r.Err == nil {
			f.verdict, f.sub = r.Recording.DoneFor(s.cfg.Options)
		}
	})
	return ctx.Err()
}

// maybeReport is the line of a file whose last upload's outcome is
// unknown.
func maybeReport(sub *store.Submission) Report {
	r := Report{State: Unknown, ID: sub.ID, BatchID: sub.BatchID, AccountID: sub.AccountID}
	when := sub.Started.Local().Format("2006-01-02 15:04")
	r.Message = fmt.Sprintf("the upload of %s (id %s) has an unknown outcome: a job may exist, so it is not sent again; "+
		"`fwbatch status %s` asks about it, `fwbatch submit` sends it anyway", when, sub.ID, sub.ID)
	if sub.BatchID != "" {
		r.Message = fmt.Sprintf("the upload of %s was not confirmed, but its reply named batch %s: not sent again; `fwbatch status %s` asks about it", when, sub.BatchID, sub.ID)
	}
	return r
}

// checkJobs asks the server about the pending jobs the files are done as
// (each job once, however many files share it), and reports whether it
// recorded anything new.
func (s *syncRun) checkJobs(ctx context.Context, files []*file) bool {
	var subs []*store.Submission
	seen := map[string]bool{}
	for _, f := range files {
		sub := f.sub
		if sub == nil || seen[sub.ID] || !needsCheck(sub) {
			continue
		}
		seen[sub.ID] = true
		subs = append(subs, sub)
	}
	if len(subs) == 0 {
		return false
	}
	var changed atomic.Bool
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, sub := range subs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := s.cfg.Client.CheckRecorded(ctx, s.cfg.Store, *sub)
			switch {
			case err != nil && ctx.Err() == nil:
				s.cfg.Logf("sync: checking %s: %v", sub.BatchID, err)
				s.checkFailed(files, sub, err)
			case err == nil:
				s.cfg.Logf("sync: %s is %s (recorded %v)", sub.BatchID, res.State, res.Recorded)
			}
			if res != nil && res.Recorded {
				changed.Store(true)
			}
		})
	}
	wg.Wait()
	return changed.Load()
}

// needsCheck: a job worth asking about, hidden or not (hiding a History
// entry does not stop its job, and its transcript is still wanted here).
func needsCheck(sub *store.Submission) bool {
	probe := *sub
	probe.Hidden = false
	if submit.NeedsCheck(&probe) {
		return true
	}
	// Completed, but the saved copy is gone: CheckRecorded saves it again.
	return submit.Checkable(&probe) && submit.RecordedState(&probe) == submit.Completed && !readable(probe.ResultPath)
}

func readable(path string) bool {
	if path == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// checkFailed notes, on the files done as sub, why its check failed.
func (s *syncRun) checkFailed(files []*file, sub *store.Submission, err error) {
	s.mu.Lock() // called from the checks' goroutines
	defer s.mu.Unlock()
	for _, f := range files {
		if f.sub != nil && f.sub.ID == sub.ID {
			f.checkErr = fmt.Errorf("could not check batch %s: %s", sub.BatchID, submit.Explain(err))
		}
	}
}

// done handles a file done for the options: its job pending, or
// completed and its transcripts to write. It reports whether the file is
// still pending.
func (s *syncRun) done(ctx context.Context, f *file) bool {
	sub := f.sub
	base := Report{ID: sub.ID, BatchID: sub.BatchID, AccountID: sub.AccountID, Status: sub.ServerStatus}
	if sub.Outcome == store.OutcomeUploading {
		r := base
		r.State = Uploading
		r.Message = fmt.Sprintf("being sent by fwbatch (process %d on %s); not sent again", sub.PID, sub.Host)
		if sub.PID == os.Getpid() && sub.Host == hostname() {
			r.Message = "the same recording as another file of this sync, being sent now; not sent again"
		}
		s.say(f, r)
		return true
	}
	if submit.RecordedState(sub) != submit.Completed {
		r := base
		r.State = Processing
		if s.cfg.DryRun {
			r.Message = "not checked (dry run)"
		}
		s.say(f, r)
		return true
	}
	if f.baseErr != nil {
		r := base
		r.State, r.Message = Failed, f.baseErr.Error()
		s.say(f, r)
		return false
	}
	result, err := os.ReadFile(sub.ResultPath)
	if err != nil {
		r := base
		r.State = Failed
		r.Message = fmt.Sprintf("completed as batch %s, but its saved result cannot be read (%s)", sub.BatchID, describe(err))
		if s.cfg.DryRun && sub.ResultPath == "" || s.cfg.DryRun && errors.Is(err, os.ErrNotExist) {
			r.State, r.Message = WouldWrite, "after fetching the result"
			for _, o := range outputs(f.base, formatOf(sub), s.cfg.Formats) {
				r.Written = append(r.Written, o.path)
			}
		}
		s.say(f, r)
		return false
	}
	s.write(ctx, f, result)
	return false
}

// write writes a completed file's transcripts and reports what it did.
func (s *syncRun) write(ctx context.Context, f *file, result []byte) {
	sub := f.sub
	r := Report{ID: sub.ID, BatchID: sub.BatchID, AccountID: sub.AccountID, Status: sub.ServerStatus}
	name := fmt.Sprintf("%s (batch %s)", filepath.Base(f.Path), sub.BatchID)
	responseFormat := formatOf(sub)
	var kept, foreign, failed []string
	for _, o := range outputs(f.base, responseFormat, s.cfg.Formats) {
		data, err := render(name, responseFormat, result, o)
		if err != nil {
			failed = append(failed, submit.Explain(err))
			continue
		}
		var state transcripts.State
		wrote := false
		if s.cfg.DryRun {
			state, err = s.ledger.Look(o.path, data, sub.ID, o.format)
			wrote = err == nil && (state == transcripts.Absent || state == transcripts.Ours || s.cfg.Force && state != transcripts.Current)
		} else {
			state, wrote, err = s.ledger.Write(ctx, o.path, data, sub.ID, o.format, s.cfg.Force)
		}
		switch {
		case err != nil:
			failed = append(failed, submit.Explain(err))
		case wrote:
			r.Written = append(r.Written, o.path)
		case state == transcripts.Changed:
			kept = append(kept, o.path)
		case state == transcripts.Foreign:
			foreign = append(foreign, o.path)
		}
	}
	shown := func(paths []string) string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = s.shownPath(f, p)
		}
		return strings.Join(out, ", ")
	}
	switch {
	case len(failed) > 0:
		r.State, r.Message = Failed, strings.Join(failed, "; ")
	case len(foreign) > 0:
		r.State = Failed
		r.Message = fmt.Sprintf("%s %s and fwbatch did not write %s: not overwritten; --force overwrites, --out DIR writes elsewhere",
			shown(foreign), isAre(len(foreign)), itThem(len(foreign)))
	case len(r.Written) > 0:
		r.State = Written
		if s.cfg.DryRun {
			r.State = WouldWrite
		}
		r.Message = shown(r.Written)
	case len(kept) > 0:
		r.State = Kept
		r.Message = fmt.Sprintf("%s changed since fwbatch wrote %s: kept; --force overwrites", shown(kept), itThem(len(kept)))
	default:
		r.State = Skipped
		r.Message = "done as batch " + sub.BatchID
	}
	if len(r.Written) > 0 && (len(failed) > 0 || len(foreign) > 0) {
		did := "written"
		if s.cfg.DryRun {
			did = "would write"
		}
		r.Message += "; " + did + ": " + shown(r.Written)
	}
	s.say(f, r)
}

func isAre(n int) string {
	if n == 1 {
		return "exists"
	}
	return "exist"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// shownPath names a transcript in a line: its name when it is next to the
// audio, its path when it went elsewhere.
func (s *syncRun) shownPath(f *file, p string) string {
	if filepath.Dir(p) == filepath.Dir(f.Path) {
		return filepath.Base(p)
	}
	return p
}

func formatOf(sub *store.Submission) string {
	if f := sub.Options["response_format"]; f != "" {
		return f
	}
	return "json"
}

// submitAll sends the files, Concurrency at a time, through the history;
// each one's line comes as it ends. Right before a file's "started" is
// written, the guard looks at the history again: a file another process
// (or another file of this sync, a copy) sent meanwhile is not sent.
func (s *syncRun) submitAll(ctx context.Context, files []*file) {
	items := make([]submit.BatchItem, len(files))
	byID := make(map[string]*file, len(files))
	for i, f := range files {
		s.tried[f.Path] = look{size: f.Size, mtime: f.MTime}
		id := store.NewID()
		items[i] = submit.BatchItem{ID: id, File: f.Path, Options: s.cfg.Options, Unless: s.guard.Unless(s.cfg.Options)}
		byID[id] = f
	}
	s.cfg.Logf("sync: sending %d files, %d at a time", len(items), s.cfg.Concurrency)
	s.cfg.Client.RunBatch(ctx, s.cfg.Store, items, s.cfg.Concurrency, func(ev submit.BatchEvent) {
		if ev.Type != submit.EventDone {
			return
		}
		f := byID[ev.Item.ID]
		r := Report{}
		switch {
		case ev.Skipped != nil:
			f.sub = ev.Skipped
			if ev.Skipped.Outcome == store.OutcomeUnknown {
				r = maybeReport(ev.Skipped)
				break
			}
			r = Report{State: Skipped, ID: ev.Skipped.ID, BatchID: ev.Skipped.BatchID, AccountID: ev.Skipped.AccountID,
				Message: "sent meanwhile by another fwbatch as " + orUpload(ev.Skipped)}
			if ev.Skipped.PID == os.Getpid() && ev.Skipped.Host == hostname() {
				r.Message = "the same recording as another file of this sync, sent once"
			}
		case ev.Outcome == store.KindSubmitted && ev.Err == nil:
			r = Report{State: Submitted, ID: ev.Item.ID, BatchID: ev.Reply.BatchID, AccountID: ev.Reply.AccountID, Message: ev.Reply.Odd}
		default:
			r = Report{State: State(ev.Outcome), Message: submit.Explain(ev.Err)}
			if ev.Recorded || ev.Outcome != store.KindFailed {
				r.ID = ev.Item.ID
			}
			if ev.Reply != nil {
				r.BatchID, r.AccountID = ev.Reply.BatchID, ev.Reply.AccountID
			}
			if r.State == "" || r.State == Submitted { // submitted, but not recorded
				r.State = Failed
			}
			r.Message = strings.TrimPrefix(r.Message, ev.Item.File+": ")
		}
		s.say(f, r)
	})
}

func orUpload(sub *store.Submission) string {
	if sub.BatchID != "" {
		return "batch " + sub.BatchID
	}
	return fmt.Sprintf("an upload in progress (process %d on %s)", sub.PID, sub.Host)
}

// failedReport is the line of a file whose upload or job, sent in this
// run, failed.
func failedReport(sub *store.Submission) Report {
	r := Report{State: Failed, ID: sub.ID, BatchID: sub.BatchID, AccountID: sub.AccountID, Status: sub.ServerStatus, Message: sub.Message}
	switch {
	case submit.Checkable(sub) && submit.RecordedState(sub) == submit.NotFound:
		r.Message = fmt.Sprintf("batch %s: not found: the server does not know the job (%s)", sub.BatchID, sub.Message)
	case submit.Checkable(sub) && sub.ServerStatus != "":
		r.Message = fmt.Sprintf("the job ended with status %q", sub.ServerStatus)
		if sub.Message != "" {
			r.Message += ": " + sub.Message
		}
	case sub.Outcome == store.OutcomeUploading, sub.Outcome == store.OutcomeInterrupted:
		r.State = Interrupted
	}
	r.Message += "; the next sync sends it again"
	return r
}

// sayOnce reports r about f unless the last report of f was about the
// same submission in the same state (an upload refused was said when it
// ended, in its own words).
func (s *syncRun) sayOnce(f *file, r Report) {
	s.mu.Lock()
	last, ok := s.last[f.Path]
	s.mu.Unlock()
	if ok && last.ID == r.ID && last.State == r.State {
		return
	}
	s.say(f, r)
}

// say reports r about f, unless it says what the last report of f said.
// In a run that goes on (Wait, Watch), a file done and written is not
// said to be skipped afterwards.
func (s *syncRun) say(f *file, r Report) {
	r.File = f.Shown
	s.mu.Lock()
	last, ok := s.last[f.Path]
	if ok && (sameReport(last, r) || r.State == Skipped && (last.State == Written || last.State == Skipped) && last.ID == r.ID) {
		s.mu.Unlock()
		return
	}
	s.last[f.Path] = r
	s.mu.Unlock()
	s.cfg.Logf("sync %s: %s %s %s", f.Path, r.State, r.BatchID, r.Message)
	s.report(r)
}

func sameReport(a, b Report) bool {
	return a.State == b.State && a.ID == b.ID && a.BatchID == b.BatchID && a.Status == b.Status &&
		a.Message == b.Message && slices.Equal(a.Written, b.Written)
}

func (s *syncRun) summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Files: len(s.last), Counts: map[State]int{}}
	for _, r := range s.last {
		sum.Counts[r.State]++
	}
	return sum
}

var hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})
