package submit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fwbatch/fwbatch/internal/durable"

	"github.com/fwbatch/fwbatch/store"
)

// recordTimeout bounds a history append made after an upload ended. It runs
// on its own context: a cancelled upload must still be recorded.
const recordTimeout = 30 * time.Second

// BatchItem is one file to submit with the history.
type BatchItem struct {
	ID         string // local submission id (store.NewID); made if empty
	File       string
	Options    Options
	ResubmitOf string // the submission this one repeats, if any
	// Unless, when set, is asked under the history's lock, with the
	// "started" event about to be written (its fingerprint read from the
	// file right before), whether a submission already in the file makes
	// this upload needless: the same recording sent with the same options
	// by another process meanwhile. When it names one, nothing is written
	// or sent, and the item ends with Skipped set. Folder work sets it, so
	// that two processes never pay for one recording twice.
	Unless func(h *store.History, started *store.Event) *store.Submission
}

// EventType says what a BatchEvent reports.
type EventType int

const (
	// EventStarted: "started" is durable in the history; the upload begins.
	EventStarted EventType = iota
	// EventProgress: bytes sent, or a wait before a retry (Progress.RetryIn).
	EventProgress
	// EventDone: the outcome is known and recorded (or could not be).
	EventDone
)

// BatchEvent is what RunBatch reports about one item.
type BatchEvent struct {
	Item     BatchItem
	Type     EventType
	Progress Progress
	// Done only:
	Outcome store.Kind // submitted, failed, unknown or interrupted
	Reply   *Submitted
	Err     error // why it was not submitted; or why the outcome could not be recorded
	// Recorded is false when the item never reached the history (refused
	// before any upload: bad options, bad file, history not writable) or
	// when its outcome could not be appended (Err says so, with the batch id).
	Recorded bool
	// Skipped is the submission Item.Unless named: the item was not
	// uploaded and left no event (Outcome is empty).
	Skipped *store.Submission
}

// RunBatch submits items, concurrency at a time, through the history: for
// each file the "started" event is durable before its first byte is sent,
// and its outcome is appended the moment it is known. Items refused before
// an upload (options, pre-flight checks, a history that cannot be written)
// and items not yet started when ctx is cancelled (reported as interrupted)
// leave no event and send nothing; an upload cancelled part-way is recorded
// as interrupted (or unknown, once its whole body was sent). on is called
// from several goroutines, one item's events in order; it must not block
// for long. RunBatch returns when every item is done.
func (c *Client) RunBatch(ctx context.Context, st *store.Store, items []BatchItem, concurrency int, on func(BatchEvent)) {
	if on == nil {
		on = func(BatchEvent) {}
	}
	if concurrency < 1 {
		concurrency = 1
	}
	items = slices.Clone(items)
	for i := range items {
		if items[i].ID == "" {
			items[i].ID = store.NewID()
		}
	}
	// One check of the history for the whole batch: if it cannot be
	// written, no upload starts.
	if err := st.CheckWritable(ctx); err != nil {
		for _, it := range items {
			on(BatchEvent{Item: it, Type: EventDone, Outcome: store.KindFailed, Err: fmt.Errorf("nothing uploaded: %w", err)})
		}
		return
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, it := range items {
		// A select between a free slot and a cancelled context picks at
		// random: look at the context first, so no upload starts after it.
		if ctx.Err() != nil {
			notStarted(ctx, it, on)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			notStarted(ctx, it, on)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.submitRecorded(ctx, st, it, on)
		}()
	}
	wg.Wait()
}

// notStarted reports an item that was cancelled before anything about it
// was written or sent: it leaves no event in the history.
func notStarted(ctx context.Context, it BatchItem, on func(BatchEvent)) {
	on(BatchEvent{Item: it, Type: EventDone, Outcome: store.KindInterrupted, Err: &InterruptedError{Op: "submit", Cause: ctx.Err()}})
}

func (c *Client) submitRecorded(ctx context.Context, st *store.Store, it BatchItem, on func(BatchEvent)) {
	done := func(ev BatchEvent) {
		ev.Item, ev.Type = it, EventDone
		on(ev)
	}
	opts := it.Options.WithDefaults()
	if err := opts.Validate(); err != nil {
		done(BatchEvent{Outcome: store.KindFailed, Err: err})
		return
	}
	abs, err := filepath.Abs(it.File)
	if err != nil {
		done(BatchEvent{Outcome: store.KindFailed, Err: &FileError{Path: it.File, Problem: err.Error(), Err: err}})
		return
	}
	// The checks and the upload use the path as given, so that messages
	// name the file as the user knows it; the history keeps it absolute.
	// The fingerprint is read in the same pass as the checks, so that the
	// recording is recognised later wherever it has moved, and so is its
	// length, for what the history says was sent (fwbatch usage).
	file, err := preflightMeasured(ctx, it.File, opts.Force)
	if err != nil {
		done(BatchEvent{Outcome: store.KindFailed, Err: err})
		return
	}
	if ctx.Err() != nil {
		notStarted(ctx, it, on)
		return
	}
	info := file.info
	mtime := info.ModTime().UTC()
	started := store.Event{
		Kind: store.KindStarted, ID: it.ID, File: abs, Size: info.Size(), MTime: &mtime, Fingerprint: file.fingerprint,
		Task: opts.Task, Endpoint: opts.Endpoint, Model: opts.Model, Options: opts.Extra(), ResubmitOf: it.ResubmitOf,
	}
	started.DurationS, _ = file.length.Seconds()
	var skipped *store.Submission
	if it.Unless == nil {
		err = st.Append(ctx, started)
	} else {
		// Deciding on the whole file costs a load of it on the first call;
		// a plain submission needs none.
		err = st.AppendIf(ctx, func(h *store.History) ([]store.Event, error) {
			if skipped = it.Unless(h, &started); skipped != nil {
				return nil, nil
			}
			return []store.Event{started}, nil
		})
	}
	if err == nil && skipped != nil {
		done(BatchEvent{Skipped: skipped})
		return
	}
	if err != nil {
		if ctx.Err() != nil { // cancelled while waiting for the lock
			notStarted(ctx, it, on)
			return
		}
		done(BatchEvent{Outcome: store.KindFailed, Err: fmt.Errorf("%s: nothing uploaded: %w", it.File, err)})
		return
	}
	on(BatchEvent{Item: it, Type: EventStarted, Progress: Progress{Total: info.Size()}})

	reply, err := c.Submit(ctx, it.File, opts, func(p Progress) {
		on(BatchEvent{Item: it, Type: EventProgress, Progress: p})
	})
	kind := OutcomeOf(err)
	ev := store.Event{Kind: kind, ID: it.ID}
	if reply != nil {
		ev.BatchID, ev.AccountID, ev.EndpointID = reply.BatchID, reply.AccountID, reply.EndpointID
	}
	if err != nil {
		ev.HTTPStatus = HTTPStatusOf(err)
		ev.Message = Redact(Explain(err), c.key)
	} else if reply != nil {
		ev.Message = reply.Odd // what was odd about a reply usable anyway, or ""
	}
	rctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	if rerr := st.Append(rctx, ev); rerr != nil {
		// The upload happened; only the record failed. Say so loudly, with
		// the batch id, since the history is the only record of the job.
		what := "its outcome (" + string(kind) + ")"
		if reply != nil {
			what = fmt.Sprintf("batch id %s (account %s)", reply.BatchID, reply.AccountID)
		}
		done(BatchEvent{Outcome: kind, Reply: reply, Err: fmt.Errorf("%s was uploaded but the history could not record %s: %w; note it down", it.File, what, rerr)})
		return
	}
	done(BatchEvent{Outcome: kind, Reply: reply, Err: err, Recorded: true})
}

// RecordedState is what the history says of sub's job, as of its last
// check: a 404 recorded in a status event is NotFound, anything else is
// the recorded status classified (Pending before any check).
func RecordedState(sub *store.Submission) JobState {
	if sub.StatusHTTPStatus == http.StatusNotFound && sub.ServerStatus == "" {
		return NotFound
	}
	return Classify(sub.ServerStatus)
}

// Checkable reports whether sub names a job that can be asked about: a
// batch id and an account id, from a reply that accepted the upload or,
// with an unknown outcome, named the job without confirming it.
func Checkable(sub *store.Submission) bool {
	return (sub.Outcome == store.OutcomeSubmitted || sub.Outcome == store.OutcomeUnknown) &&
		sub.BatchID != "" && sub.AccountID != ""
}

// NeedsCheck reports whether sub has a job worth asking the server about
// unasked: checkable, not hidden, and not finished — a completed job whose
// result is not saved yet still needs its check (CheckRecorded saves it).
// A job the server does not know (NotFound) is left alone until asked.
func NeedsCheck(sub *store.Submission) bool {
	if sub.Hidden || !Checkable(sub) {
		return false
	}
	switch RecordedState(sub) {
	case Completed:
		return sub.ResultPath == ""
	case Failed, NotFound:
		return false
	}
	return true
}

// NoJobReason says why sub has no job to check or fetch, for a submission
// that is not Checkable.
func NoJobReason(sub *store.Submission) string {
	msg := ""
	if sub.Message != "" {
		msg = ": " + sub.Message
	}
	switch {
	case sub.Outcome == store.OutcomeUnknown && sub.BatchID != "":
		return "the reply named batch " + sub.BatchID + " but no account id, so the job cannot be checked; resubmitting may create a duplicate" + msg
	case sub.Outcome == store.OutcomeUnknown:
		return "the upload's outcome is unknown: a batch job may exist, but no batch id came back to check it with; resubmitting may create a duplicate" + msg
	case sub.Outcome == store.OutcomeFailed:
		return "the upload failed, so there is no batch job" + msg
	case sub.Outcome == store.OutcomeInterrupted:
		return "the upload was interrupted, so there is no batch job" + msg
	case sub.Outcome == store.OutcomeUploading:
		if store.ProcessAlive(sub.Host, sub.PID, sub.Started) {
			return fmt.Sprintf("still uploading (process %d on %s); no batch id yet", sub.PID, sub.Host)
		}
		return "the upload was interrupted (its process is gone), so there is no batch job"
	}
	return "no batch id recorded"
}

// CheckResult is what CheckRecorded found and recorded.
type CheckResult struct {
	// Job is the server's answer; for NotFound, a Job with the batch id
	// and the server's message and no status.
	Job        *Job
	State      JobState
	ResultPath string // the saved result, when completed (new or from before)
	Recorded   bool   // a status event was appended
}

// CheckRecorded fetches a submission's job status and records it: a status
// event when the status changed, and, the first time the job is seen
// completed, its result saved under the results folder (so it survives
// server-side expiry) with the path in that event. A 404 is recorded too,
// as a status event with http_status 404 and no status: the job is
// NotFound, which is a state, not an error.
//
// Whether anything is new is decided under the history's lock, on the
// submission as the file holds it then (store.AppendFor): several fwbatch
// processes following the same jobs save each result once and record each
// status once, whoever asks first.
//
// A completed job whose result cannot be saved (disk full, a folder that
// cannot be written) is still recorded as completed, without a result
// path, so that the history says what the server said and the job is
// checked again; the error says why nothing was saved.
func (c *Client) CheckRecorded(ctx context.Context, st *store.Store, sub store.Submission) (*CheckResult, error) {
	if !Checkable(&sub) {
		return nil, fmt.Errorf("%s: %s", filepath.Base(sub.File), NoJobReason(&sub))
	}
	job, err := c.Status(ctx, sub.AccountID, sub.BatchID)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatus == http.StatusNotFound {
		return c.recordNotFound(ctx, st, sub, apiErr.summary())
	}
	if err != nil {
		return nil, err
	}
	res := &CheckResult{Job: job, State: job.State(), ResultPath: sub.ResultPath}
	msg := Redact(job.Message, c.key)
	// Most checks find what the history already says ("still processing"):
	// seen on the file as it is now, that takes no lock and writes nothing.
	if cur, err := st.Current(sub.ID); err == nil && cur != nil && !newToRecord(cur, job, res.State, msg) {
		res.ResultPath = cur.ResultPath
		return res, nil
	}
	var saveErr error
	err = st.AppendFor(ctx, sub.ID, func(cur *store.Submission) ([]store.Event, error) {
		if cur == nil {
			cur = &sub // not in the file any more (edited by hand): record what was found
		}
		res.ResultPath = cur.ResultPath
		ev := store.Event{Kind: store.KindStatus, ID: sub.ID, Status: job.Status, Message: msg}
		if res.State == Completed && !savedResultExists(cur.ResultPath) {
			path, err := c.saveJobResult(st, cur, job)
			if err != nil {
				saveErr = err
			} else {
				res.ResultPath, ev.ResultPath = path, path
			}
		}
		// A result that could not be saved is recorded once, as completed
		// without a path: the next check tries to save it again.
		if ev.ResultPath == "" && job.Status == cur.ServerStatus && cur.StatusHTTPStatus == 0 && ev.Message == cur.Message {
			return nil, nil // nothing new to record
		}
		res.Recorded = true
		return []store.Event{ev}, nil
	})
	if err != nil {
		res.Recorded = false
		return res, err
	}
	return res, saveErr
}

// newToRecord reports whether a check that found job has anything to
// record about cur: a status or message the history does not hold, or a
// completed result not saved yet.
func newToRecord(cur *store.Submission, job *Job, state JobState, msg string) bool {
	if state == Completed && !savedResultExists(cur.ResultPath) {
		return true
	}
	return job.Status != cur.ServerStatus || cur.StatusHTTPStatus != 0 || msg != cur.Message
}

// recordNotFound records that the server does not know sub's job (HTTP
// 404), unless the history already says so, deciding under the lock like
// any other status.
func (c *Client) recordNotFound(ctx context.Context, st *store.Store, sub store.Submission, msg string) (*CheckResult, error) {
	res := &CheckResult{Job: &Job{BatchID: sub.BatchID, Message: msg}, State: NotFound}
	err := st.AppendFor(ctx, sub.ID, func(cur *store.Submission) ([]store.Event, error) {
		if cur == nil {
			cur = &sub
		}
		if RecordedState(cur) == NotFound && cur.Message == msg {
			return nil, nil // nothing new to record
		}
		res.Recorded = true
		return []store.Event{{Kind: store.KindStatus, ID: sub.ID, HTTPStatus: http.StatusNotFound, Message: msg}}, nil
	})
	if err != nil {
		res.Recorded = false
		return res, err
	}
	return res, nil
}

// saveJobResult saves a completed job's result under the results folder.
func (c *Client) saveJobResult(st *store.Store, sub *store.Submission, job *Job) (string, error) {
	data, err := job.Result()
	if err != nil {
		return "", err
	}
	format := sub.Options["response_format"]
	if format == "" {
		format = "json" // the API's default
	}
	path := filepath.Join(st.ResultsDir(), resultName(sub.ID)+ResultExt(format))
	if err := SaveResult(path, data); err != nil {
		return "", err
	}
	return path, nil
}

// savedResultExists reports whether a result saved before is still there;
// one deleted by hand is saved again at the next check.
func savedResultExists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// resultName is the saved result's file name for a submission id. Ids that
// fwbatch makes are safe file names; one edited into the history by hand
// must not lead outside the results folder.
func resultName(id string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, id)
	if name == "" || strings.HasPrefix(name, ".") {
		name = "_" + name
	}
	return name
}

// SaveResult writes data to path atomically (temp file, fsync, rename) with
// mode 0600, making its folder (0700) if needed. It overwrites: use it for
// fwbatch's own results folder.
func SaveResult(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("results folder %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving result %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = durable.SyncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("saving result %s: %w", path, err)
	}
	return nil
}

// WriteResult writes a transcript where the user asked for it. Unless
// overwrite, an existing file is left alone and the error wraps
// fs.ErrExist, so the caller can ask first.
func WriteResult(path string, data []byte, overwrite bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if !overwrite {
			os.Remove(path) // ours, and incomplete
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
