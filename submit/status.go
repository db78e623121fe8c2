package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Job is a batch job as the status endpoint reports it.
type Job struct {
	BatchID string
	Status  string // as the server spelled it
	Message string
	// ContentType and Body are set once the job is completed. Body is the
	// synchronous API's response as the server serialized it into one
	// string; Result decodes it.
	ContentType, Body string
	HasBody           bool // the reply carried a body field
}

// JobState is what a job's status means to fwbatch.
type JobState int

const (
	Pending JobState = iota
	Completed
	Failed
	// NotFound: the server answered 404 for the job. It does not know it:
	// the job expired, was never made, or --base-url points elsewhere. It
	// is not checked in the background; a check asked for asks again.
	NotFound
)

func (s JobState) String() string {
	switch s {
	case Completed:
		return "completed"
	case Failed:
		return "failed"
	case NotFound:
		return "not found"
	}
	return "pending"
}

// Classify maps a status as the server spelled it: "completed" is done; one
// containing fail, error, cancel or expire is a terminal failure (the API
// documents none, this is our rule); anything else is still pending.
func Classify(status string) JobState {
	s := strings.ToLower(strings.TrimSpace(status))
	if s == "completed" {
		return Completed
	}
	for _, w := range []string{"fail", "error", "cancel", "expire"} {
		if strings.Contains(s, w) {
			return Failed
		}
	}
	return Pending
}

// State classifies j's status.
func (j *Job) State() JobState { return Classify(j.Status) }

// Result returns a completed job's transcript exactly as the synchronous
// API would have returned it: for application/json the text of the JSON
// document (the reply carries it as a string of JSON), for text/* and
// anything else the raw text.
func (j *Job) Result() ([]byte, error) {
	switch {
	case j.State() != Completed:
		return nil, fmt.Errorf("batch job %s is %s; no result yet", j.BatchID, j.Status)
	case !j.HasBody:
		return nil, fmt.Errorf("batch job %s is completed but the server sent no result; check it again later", j.BatchID)
	}
	return []byte(j.Body), nil
}

// IsJSON reports whether the result is a JSON document.
func (j *Job) IsJSON() bool {
	mt, _, err := mime.ParseMediaType(j.ContentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(j.ContentType, ";")[0]))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// ResultExt is the file extension for a result in response format format.
func ResultExt(format string) string {
	switch format {
	case "json", "verbose_json":
		return ".json"
	case "srt":
		return ".srt"
	case "vtt":
		return ".vtt"
	}
	return ".txt"
}

// Status fetches a batch job. GETs are safe to repeat, so network errors,
// 408, 429 and 5xx replies are retried, at most 3 tries in all (fewer when
// the retry policy says so): reply headers must come within
// StatusHeaderTimeout, and the body is read until ReplyIdleTimeout passes
// without a byte, however long the whole takes.
func (c *Client) Status(ctx context.Context, accountID, batchID string) (*Job, error) {
	if accountID == "" || batchID == "" {
		return nil, errors.New("status: need both the account id and the batch id")
	}
	target := c.base + "/v1/accounts/" + url.PathEscape(accountID) + "/batch_job/" + url.PathEscape(batchID)
	var job *Job
	err := c.retryLoop(ctx, "status", statusAttempts, func(int) attempt {
		j, a := c.statusOnce(ctx, target, batchID)
		job = j
		return a
	}, nil)
	if err != nil {
		return nil, err
	}
	return job, nil
}

func (c *Client) statusOnce(ctx context.Context, target, batchID string) (*Job, attempt) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, target, nil)
	if err != nil {
		return nil, attempt{err: errors.New(Redact(err.Error(), c.key))}
	}
	req.Header.Set("Authorization", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	headers := time.AfterFunc(c.statusHeaders, func() { cancel(errHeaderTimeout) })
	resp, err := c.hc.Do(req)
	headers.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, attempt{err: &InterruptedError{Cause: context.Cause(ctx), Op: "status"}}
		}
		if ce := c.connError(err, req); ce != nil {
			return nil, attempt{err: ce}
		}
		if errors.Is(context.Cause(actx), errHeaderTimeout) {
			err = fmt.Errorf("%w (%s)", errHeaderTimeout, roundDuration(c.statusHeaders))
		}
		ne := &NetError{Host: c.host, During: "checking the status", Err: err}
		return nil, attempt{err: ne, retry: true, reason: "network error: " + netErrText(err)}
	}
	defer resp.Body.Close()
	ok := resp.StatusCode == http.StatusOK
	limit := int64(maxStatusReply)
	if !ok {
		limit = 64 << 10
	}
	data, rerr := c.readReply(actx, cancel, resp, limit)
	if !ok {
		apiErr := c.apiError("status", resp, data, req)
		if ce := c.replyConnError(resp, apiErr.Message, req); ce != nil {
			return nil, attempt{err: ce}
		}
		a := attempt{err: apiErr}
		a.retryAfter, a.haveRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		switch s := resp.StatusCode; {
		case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
			a.retry = true
			a.reason = fmt.Sprintf("HTTP %d", s)
		}
		return nil, a
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return nil, attempt{err: &InterruptedError{Cause: context.Cause(ctx), Op: "status"}}
		}
		err := c.replyReadError(ctx, resp.StatusCode, rerr)
		return nil, attempt{err: err, retry: !errors.Is(rerr, errReplyTooLarge), reason: "the reply was cut short"}
	}
	job, problem := parseJob(data, batchID, c.key)
	if problem != "" {
		return nil, attempt{err: &ReplyError{HTTPStatus: resp.StatusCode, Problem: Redact(problem, c.key)}}
	}
	return job, attempt{}
}

// parseJob decodes a status reply leniently (see decodeReply) for the job
// batchID; the problem is "" when it is usable. A reply about another
// batch id is refused: saving it would give this job another's transcript.
func parseJob(data []byte, batchID, key string) (*Job, string) {
	r := decodeReply(data, key)
	if r.broken != "" {
		return nil, "status " + r.broken + "; try again later"
	}
	status, _ := r.text("status")
	if strings.TrimSpace(status) == "" {
		return nil, "status reply has no status; try again later"
	}
	id, bad := r.id("batch_id")
	switch {
	case bad != "":
		return nil, "status reply: " + bad
	case id != "" && id != batchID:
		return nil, fmt.Sprintf("status reply is about batch %s, not %s: refused (a proxy or cache in between may mix up replies); try again later",
			truncate(oneLine(id), 80), batchID)
	}
	j := &Job{BatchID: batchID, Status: Redact(oneLine(status), key)}
	j.ContentType, _ = r.text("content_type")
	j.Message, _ = r.text("message")
	j.Message = Redact(j.Message, key)
	j.Body, j.HasBody = jsonText(r.fields["body"])
	return j, ""
}

// jsonText returns a JSON value as text: a string's contents, or the raw
// JSON of anything else; false for null or absent.
func jsonText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	return string(raw), true
}
