package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progressEvery is how often progress is reported and the stall watchdog
// looks, at most.
const progressEvery = 100 * time.Millisecond

var (
	errReplyTimeout = errors.New("reply timeout")
	errBodyClosed   = errors.New("upload body closed")
)

// Submit uploads one file with opts (after WithDefaults and Validate) and
// returns the API's reply. Nothing touches the network until the options
// and the file passed their checks. The file is streamed, never read into
// memory; onProgress (may be nil) hears about bytes sent and retries.
//
// Failures are typed: *FieldError, *FileError, *APIError, *NetError,
// *StallError, *ReplyError, *InterruptedError, *UnknownOutcomeError,
// possibly inside *GaveUpError; OutcomeOf maps them to the history's kinds.
// Retries happen only where no job can exist (see the API doc).
func (c *Client) Submit(ctx context.Context, path string, opts Options, onProgress func(Progress)) (*Submitted, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	info, f, err := openChecked(path, opts.Force)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	up, err := newUpload(path, f, info, opts.Fields())
	if err != nil {
		return nil, err
	}
	report := func(p Progress) {
		if onProgress != nil {
			onProgress(p)
		}
	}
	target := c.base + "/" + PathFor(opts.Task) + "?endpoint_id=" + url.QueryEscape(opts.Endpoint)
	var sub *Submitted
	err = c.retryLoop(ctx, "submit",
		func(n int) attempt {
			s, a := c.submitOnce(ctx, target, up, n, report)
			sub = s
			return a
		},
		func(next int, wait time.Duration, reason string) {
			report(Progress{Total: up.total, Attempt: next, RetryIn: wait, RetryReason: reason})
		})
	if err != nil {
		return nil, err
	}
	if sub.EndpointID == "" {
		sub.EndpointID = opts.Endpoint
	}
	sub.Message = Redact(sub.Message, c.key)
	return sub, nil
}

func (c *Client) submitOnce(ctx context.Context, target string, up *upload, n int, report func(Progress)) (*Submitted, attempt) {
	if err := up.unchanged(); err != nil {
		return nil, attempt{err: err}
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	body := &uploadBody{u: up, done: make(chan struct{})}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, body)
	if err != nil {
		return nil, attempt{err: errors.New(Redact(err.Error(), c.key))}
	}
	req.ContentLength = up.total
	req.Header.Set("Authorization", c.key)
	req.Header.Set("Content-Type", up.contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if up.size > expectContinueSize {
		req.Header.Set("Expect", "100-continue")
	}

	report(Progress{Total: up.total, Attempt: n})
	stopWatch := c.watch(body, cancel, n, report)
	resp, err := c.hc.Do(req)
	stopWatch()
	if err != nil {
		// Whether a job can exist depends on how much of the body went out:
		// let the transport finish with it first (it closes it when done).
		t := time.NewTimer(2 * time.Second)
		select {
		case <-body.done:
		case <-t.C:
		}
		t.Stop()
		return nil, c.uploadFailed(ctx, actx, err, body, body.sent.Load() == up.total)
	}
	full := body.sent.Load() == up.total
	defer resp.Body.Close()

	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := int64(maxSubmitReply)
	if !ok {
		limit = 64 << 10
	}
	data, rerr := c.readReply(actx, cancel, resp, limit)
	if ok {
		report(Progress{Sent: up.total, Total: up.total, Attempt: n})
		if rerr != nil {
			return nil, attempt{err: &UnknownOutcomeError{Cause: c.replyReadError(ctx, resp.StatusCode, rerr), HTTPStatus: resp.StatusCode}}
		}
		sub, perr := parseSubmitted(data)
		if perr != "" {
			return nil, attempt{err: &UnknownOutcomeError{
				Cause:      &ReplyError{HTTPStatus: resp.StatusCode, Problem: Redact(perr, c.key)},
				HTTPStatus: resp.StatusCode,
			}}
		}
		return sub, attempt{}
	}

	apiErr := c.apiError("submit", resp, data)
	a := attempt{err: apiErr}
	a.retryAfter, a.haveRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusServiceUnavailable && a.haveRetryAfter:
		a.retry = true
		a.reason = fmt.Sprintf("HTTP %d", resp.StatusCode)
	case resp.StatusCode >= 500 && full:
		// The server had the whole upload: it may have made a job.
		a.err = &UnknownOutcomeError{Cause: apiErr, HTTPStatus: resp.StatusCode}
	}
	return nil, a
}

// uploadFailed classifies an error from the round trip.
func (c *Client) uploadFailed(ctx, actx context.Context, err error, body *uploadBody, full bool) attempt {
	var fe *FileError
	if errors.As(err, &fe) {
		return attempt{err: fe} // the file changed; the body was cut short
	}
	sent, total := body.sent.Load(), body.u.total
	if ctx.Err() != nil {
		if full {
			return attempt{err: &UnknownOutcomeError{Cause: context.Cause(ctx)}}
		}
		return attempt{err: &InterruptedError{Cause: context.Cause(ctx), Op: "submit", Sent: sent, Total: total}}
	}
	var stall *StallError
	if errors.As(context.Cause(actx), &stall) {
		return attempt{err: stall, retry: true, reason: "the upload stalled"}
	}
	if full {
		return attempt{err: &UnknownOutcomeError{Cause: &NetError{Host: c.host, During: "waiting for the reply", Err: err}}}
	}
	during := "uploading"
	if sent == 0 {
		during = "connecting"
	}
	ne := &NetError{Host: c.host, During: during, Err: err}
	return attempt{err: ne, retry: !permanentNetErr(err), reason: "network error: " + netErrText(err)}
}

func (c *Client) replyReadError(ctx context.Context, status int, err error) error {
	switch {
	case errors.Is(err, errReplyTimeout):
		return &ReplyError{HTTPStatus: status, Problem: fmt.Sprintf("reply too slow (not complete after %s)", roundDuration(c.replyTimeout))}
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, errReplyTooLarge):
		return &ReplyError{HTTPStatus: status, Problem: "reply too large"}
	}
	return &ReplyError{HTTPStatus: status, Problem: "reply cut short: " + Redact(netErrText(err), c.key)}
}

var errReplyTooLarge = errors.New("reply too large")

// readReply reads resp's body, at most limit bytes and for at most
// ReplyTimeout.
func (c *Client) readReply(actx context.Context, cancel context.CancelCauseFunc, resp *http.Response, limit int64) ([]byte, error) {
	timer := time.AfterFunc(c.replyTimeout, func() { cancel(errReplyTimeout) })
	defer timer.Stop()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, errReplyTimeout) {
			err = errReplyTimeout
		}
		return data, err
	}
	if int64(len(data)) > limit {
		return data[:limit], errReplyTooLarge
	}
	return data, nil
}

func (c *Client) apiError(op string, resp *http.Response, data []byte) *APIError {
	e := &APIError{
		Op:         op,
		HTTPStatus: resp.StatusCode,
		Message:    Redact(serverMessage(resp.StatusCode, resp.Header.Get("Content-Type"), data), c.key),
	}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// parseSubmitted decodes a submit reply; the problem is "" when it is
// usable.
func parseSubmitted(data []byte) (*Submitted, string) {
	var r struct {
		Status     *string `json:"status"`
		BatchID    *string `json:"batch_id"`
		AccountID  *string `json:"account_id"`
		EndpointID *string `json:"endpoint_id"`
		Message    *string `json:"message"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		text := truncate(oneLine(strings.ToValidUTF8(string(data), "?")), 80)
		return nil, fmt.Sprintf("reply is not valid JSON (%q)", text)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	s := &Submitted{
		Status:     str(r.Status),
		BatchID:    strings.TrimSpace(str(r.BatchID)),
		AccountID:  strings.TrimSpace(str(r.AccountID)),
		EndpointID: str(r.EndpointID),
		Message:    str(r.Message),
	}
	switch {
	case s.BatchID == "":
		return nil, "reply has no batch_id"
	case s.AccountID == "":
		return nil, "reply has no account_id, so the job's status cannot be checked"
	}
	if s.Status == "" {
		s.Status = "submitted"
	}
	return s, ""
}

// watch reports progress and aborts a stalled upload, from one goroutine,
// until the returned stop is called. Reads of the body only count bytes, so
// the watch adds nothing to the upload's own path.
func (c *Client) watch(body *uploadBody, cancel context.CancelCauseFunc, n int, report func(Progress)) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	every := min(progressEvery, c.stall/4)
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		total := body.u.total
		var last int64
		lastChange := time.Now()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				sent := body.sent.Load()
				if sent != last {
					last, lastChange = sent, now
					report(Progress{Sent: sent, Total: total, Attempt: n})
					continue
				}
				// Once all is sent the wait for a reply is the transport's
				// response-header timeout's business.
				if sent < total && now.Sub(lastChange) >= c.stall {
					cancel(&StallError{After: c.stall, Sent: sent, Total: total})
					return
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// upload is one file's multipart request body, shared by the tries.
type upload struct {
	path        string
	f           *os.File
	info        os.FileInfo // the open file when checked
	size        int64
	prefix      []byte // the fields and the file part's header
	suffix      []byte // the closing boundary
	contentType string
	total       int64 // Content-Length
}

func newUpload(path string, f *os.File, info os.FileInfo, fields []Field) (*upload, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, fl := range fields {
		if err := mw.WriteField(fl.Name, fl.Value); err != nil {
			return nil, err
		}
	}
	name := filepath.Base(path)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", formFileName(name)))
	h.Set("Content-Type", mediaType(name))
	if _, err := mw.CreatePart(h); err != nil {
		return nil, err
	}
	u := &upload{
		path:        path,
		f:           f,
		info:        info,
		size:        info.Size(),
		prefix:      bytes.Clone(buf.Bytes()),
		contentType: mw.FormDataContentType(),
	}
	// What (*multipart.Writer).Close writes after the last part.
	u.suffix = []byte("\r\n--" + mw.Boundary() + "--\r\n")
	u.total = int64(len(u.prefix)) + u.size + int64(len(u.suffix))
	return u, nil
}

// formFileName keeps control characters out of the part's header.
func formFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// mediaType is the part's Content-Type, from the file name's extension.
func mediaType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".flac":
		return "audio/flac"
	case ".mp3", ".mpga", ".mpeg":
		return "audio/mpeg"
	case ".wav":
		return "audio/wav"
	case ".m4a":
		return "audio/mp4"
	case ".mp4":
		return "video/mp4"
	case ".ogg", ".opus":
		return "audio/ogg"
	case ".webm":
		return "audio/webm"
	case ".aac":
		return "audio/aac"
	case ".wma":
		return "audio/x-ms-wma"
	case ".aif", ".aiff":
		return "audio/aiff"
	}
	return "application/octet-stream"
}

// unchanged reports, as a *FileError, whether the open file's size or
// modification time differ from when it was checked.
func (u *upload) unchanged() error {
	st, err := u.f.Stat()
	if err != nil {
		return &FileError{Path: u.path, Problem: "cannot read: " + errText(err), Err: err}
	}
	if st.Size() != u.size || !st.ModTime().Equal(u.info.ModTime()) {
		return &FileError{Path: u.path, Problem: fmt.Sprintf(
			"changed during the upload (size %d → %d bytes); nothing was submitted; submit it again once it is complete",
			u.size, st.Size())}
	}
	return nil
}

// uploadBody reads one try's request body: prefix, file, suffix. Each try
// has its own, reading the file with ReadAt, so a transport still busy
// with an old try never disturbs the next.
type uploadBody struct {
	u      *upload
	off    int64        // touched only by Read
	sent   atomic.Int64 // what Read has handed out, for the watch
	closed atomic.Bool
	once   sync.Once
	done   chan struct{} // closed by Close
}

func (b *uploadBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errBodyClosed
	}
	u := b.u
	pre, fileEnd := int64(len(u.prefix)), int64(len(u.prefix))+u.size
	var n int
	switch {
	case b.off < pre:
		n = copy(p, u.prefix[b.off:])
	case b.off < fileEnd:
		pos := b.off - pre
		want := int(min(int64(len(p)), u.size-pos))
		var err error
		n, err = u.f.ReadAt(p[:want], pos)
		if n < want {
			if err == io.EOF || err == nil {
				return 0, &FileError{Path: u.path, Problem: fmt.Sprintf(
					"shrank during the upload (to %d of %d bytes); nothing was submitted; submit it again once it is complete", pos+int64(n), u.size)}
			}
			return 0, &FileError{Path: u.path, Problem: "cannot read: " + errText(err), Err: err}
		}
		// Before handing out the file's last bytes, make sure it is the file
		// that was checked: a changed file must never reach the server whole.
		if pos+int64(n) == u.size {
			if err := u.unchanged(); err != nil {
				return 0, err
			}
		}
	case b.off < u.total:
		n = copy(p, u.suffix[b.off-fileEnd:])
	default:
		return 0, io.EOF
	}
	b.off += int64(n)
	b.sent.Store(b.off)
	return n, nil
}

// Close is the transport telling it is done with the body; the file itself
// stays open for the next try.
func (b *uploadBody) Close() error {
	b.closed.Store(true)
	b.once.Do(func() { close(b.done) })
	return nil
}
