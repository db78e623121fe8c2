package cli

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

const statusLong = `Ask the API about batch jobs and record what it says in the history. ID is a
batch id or a local submission id (see ` + "`fwbatch list`" + `; TAB completes them,
pending jobs first). Without IDs: every pending job (submitted, or unknown with
a batch id the reply named; not hidden, not failed or not found, result not
saved yet).

The first time a job is seen completed, its transcript is saved under the
results folder beside the history, so it outlives the server's copy;
` + "`fwbatch result`" + ` writes it where you want it.

stdout: one line per job:
  talk.flac processing batch_id=…
  talk.flac completed batch_id=… result=/…/results/<id>.srt
  talk.flac expired batch_id=…: the audio could not be decoded
  talk.flac not found batch_id=…: HTTP 404: …
(--json: one object per line with id, file, outcome, batch_id, account_id,
status, state, message, result_path, error; state is pending, completed,
failed or not found). Errors go to stderr, one line each. A job the server
does not know (HTTP 404) is recorded as not found and left out of later
checks without IDs; naming it asks again.

--wait checks again, with backoff, until every job is completed or failed,
printing each change. Exit status: 0 every job checked and none failed (still
pending is fine without --wait), 1 a job failed, could not be checked, or an
ID is not in the history, 2 usage or setup error.`

const statusExample = `fwbatch status
fwbatch status --wait 8b0f4c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f
fwbatch status -j > status.jsonl`

func (r *runner) newStatusCmd(g *globalFlags) *cobra.Command {
	var wait, asJSON bool
	cmd := &cobra.Command{
		Use:               "status [ID...]",
		Short:             "Check batch jobs; save results the first time they are seen",
		Long:              statusLong,
		Example:           statusExample,
		ValidArgsFunction: r.completeIDs(g, pendingFirst),
		RunE: run(func(_ *cobra.Command, ids []string) int {
			return r.statusCmd(g, wait, asJSON, ids)
		}),
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "check again, with backoff, until every job is completed or failed")
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print one JSON object per job instead of a line of text")
	return cmd
}

// statusLine is one line of `status --json`.
type statusLine struct {
	ID         string `json:"id"`
	File       string `json:"file"`
	Outcome    string `json:"outcome"` // of the upload
	BatchID    string `json:"batch_id"`
	AccountID  string `json:"account_id"`
	Status     string `json:"status"` // as the server spelled it
	State      string `json:"state"`  // pending, completed, failed or not found; "" when not checked
	Message    string `json:"message"`
	ResultPath string `json:"result_path"`
	Error      string `json:"error"`
}

// defaultPollInterval is the first wait of `status --wait`; waits grow by
// half each time, up to maxPollFactor times it (and at most maxPollWait).
const (
	defaultPollInterval = 10 * time.Second
	maxPollFactor       = 30
	maxPollWait         = 5 * time.Minute
	checkConcurrency    = 4
)

// pollInterval reads FWBATCH_POLL_INTERVAL, a testing knob.
func pollInterval(getenv func(string) string) (time.Duration, error) {
	v := getenv("FWBATCH_POLL_INTERVAL")
	if v == "" {
		return defaultPollInterval, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("FWBATCH_POLL_INTERVAL=%q: want a duration such as 10s or 500ms", v)
	}
	return d, nil
}

// watched is one job `status` follows.
type watched struct {
	sub     *store.Submission
	printed string // the last line printed, to print changes only
	lastErr string
	final   bool
}

func (r *runner) statusCmd(g *globalFlags, wait, asJSON bool, ids []string) int {
	interval, err := pollInterval(r.getenv)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	e, err := r.setupCLI(g)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	defer e.close()
	h, err := r.loadHistory(e)
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}

	failed := false
	var subs []*store.Submission
	if len(ids) == 0 {
		for _, s := range h.Submissions() {
			if submit.NeedsCheck(s) {
				subs = append(subs, s)
			}
		}
		if len(subs) == 0 {
			fmt.Fprintf(r.stderr, "fwbatch: no pending jobs in the history %s (see `fwbatch list`)\n", e.store.Path())
			return ExitOK
		}
	} else {
		found, unknown := lookup(h, ids)
		for _, id := range unknown {
			r.fail(ExitFailed, "%s", unknownID(id, e.store.Path()))
			failed = true
		}
		subs = found
	}
	var jobs []*watched
	for _, s := range subs {
		if !submit.Checkable(s) {
			failed = true
			msg := submit.NoJobReason(s)
			if asJSON {
				printJSON(r.stdout, statusLine{ID: s.ID, File: s.File, Outcome: string(s.Outcome), Error: msg})
			}
			r.fail(ExitFailed, "%s (id %s): %s", displayName(s), s.ID, msg)
			continue
		}
		jobs = append(jobs, &watched{sub: s})
	}
	if len(jobs) == 0 {
		return ExitFailed
	}
	if e.apiKey == "" {
		return r.fail(ExitUsage, "no API key: set FIREWORKS_API_KEY (or save one from the UI)")
	}
	client, err := e.client(e.apiKey)
	if err != nil {
		return r.fail(ExitUsage, "%v", submit.Redact(err.Error(), e.apiKey))
	}
	defer client.CloseIdleConnections()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	maxWait := min(interval*maxPollFactor, maxPollWait)
	for {
		if r.checkRound(ctx, e, client, jobs, wait, asJSON) {
			failed = true
		}
		if _, err := e.store.Refresh(h); err != nil {
			return r.fail(ExitFailed, "%v", err)
		}
		left := 0
		for _, j := range jobs {
			if s := h.Get(j.sub.ID); s != nil {
				j.sub = s
			}
			if !j.final {
				left++
			}
		}
		if left == 0 || !wait {
			break
		}
		e.logf("status: %d jobs pending; next check in %s", left, interval)
		select {
		case <-ctx.Done():
			return r.fail(ExitFailed, "interrupted: %d %s not finished yet; `fwbatch status --wait` goes on waiting", left, plural(left, "job"))
		case <-time.After(interval):
		}
		interval = min(interval*3/2, maxWait)
	}
	if failed {
		return ExitFailed
	}
	return ExitOK
}

// checkRound checks every job not final yet, a few at a time, and prints
// what changed in the jobs' order. It reports whether a job failed.
func (r *runner) checkRound(ctx context.Context, e *env, client *submit.Client, jobs []*watched, wait, asJSON bool) (failed bool) {
	type result struct {
		res *submit.CheckResult
		err error
	}
	results := make([]result, len(jobs))
	sem := make(chan struct{}, checkConcurrency)
	var wg sync.WaitGroup
	for i, j := range jobs {
		if j.final {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := client.CheckRecorded(ctx, e.store, *j.sub)
			results[i] = result{res, err}
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		if j.final {
			continue
		}
		res, err := results[i].res, results[i].err
		s := j.sub
		name := displayName(s)
		if err != nil || res.State == submit.Completed && res.ResultPath == "" {
			if err == nil {
				err = errors.New("completed, but the result could not be saved")
			}
			msg := submit.Redact(submit.Explain(err), e.apiKey)
			e.logf("status %s: %s", s.BatchID, msg)
			if !wait || permanent(err) || ctx.Err() != nil {
				j.final, failed = true, true
			}
			if msg != j.lastErr {
				j.lastErr = msg
				if asJSON {
					printJSON(r.stdout, statusLine{ID: s.ID, File: s.File, Outcome: string(s.Outcome), BatchID: s.BatchID, AccountID: s.AccountID, Error: msg})
				}
				r.fail(ExitFailed, "%s (batch %s): %s", name, s.BatchID, msg)
			}
			continue
		}
		j.lastErr = ""
		job := res.Job
		l := statusLine{
			ID: s.ID, File: s.File, Outcome: string(s.Outcome), BatchID: s.BatchID, AccountID: s.AccountID,
			Status: job.Status, State: res.State.String(), Message: submit.Redact(job.Message, e.apiKey), ResultPath: res.ResultPath,
		}
		text := fmt.Sprintf("%s %s batch_id=%s", shown(name), shown(job.Status), s.BatchID)
		if res.State == submit.NotFound { // no status: the server does not know the job
			text = fmt.Sprintf("%s not found batch_id=%s", shown(name), s.BatchID)
		}
		if l.ResultPath != "" {
			text += " result=" + l.ResultPath
		}
		if l.Message != "" {
			text += ": " + l.Message
		}
		e.logf("status %s: %s recorded=%v", s.BatchID, text, res.Recorded)
		if text != j.printed {
			j.printed = text
			if asJSON {
				printJSON(r.stdout, l)
			} else {
				fmt.Fprintln(r.stdout, termsafe.Line(text))
			}
		}
		switch res.State {
		case submit.Completed:
			j.final = true
		case submit.Failed:
			j.final, failed = true, true
			reason := ""
			if l.Message != "" {
				reason = ": " + l.Message
			}
			r.fail(ExitFailed, "%s (batch %s): the job ended with status %q%s; submit the file again", name, s.BatchID, job.Status, reason)
		case submit.NotFound:
			j.final, failed = true, true
			r.fail(ExitFailed, "%s (batch %s): not found: the server does not know this job (it may have expired, or --base-url points elsewhere); `fwbatch status %s` asks again", name, s.BatchID, s.BatchID)
		default:
			j.final = !wait
		}
	}
	return failed
}

// permanent reports whether checking again cannot help: the server refused
// the request itself (a wrong key), or the connection cannot work (an
// untrusted certificate, a proxy that refuses).
func permanent(err error) bool {
	var (
		apiErr  *submit.APIError
		connErr *submit.ConnError
	)
	if errors.As(err, &connErr) {
		return true
	}
	if errors.As(err, &apiErr) {
		s := apiErr.HTTPStatus
		return s >= 400 && s < 500 && s != 408 && s != 429
	}
	return errors.Is(err, context.Canceled)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
