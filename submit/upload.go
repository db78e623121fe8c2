package submit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// progressEvery is how often progress is reported and the stall watchdog
// looks, at most.
const progressEvery = 100 * time.Millisecond

var (
	errReplyIdle  = errors.New("reply stalled")
	errBodyClosed = errors.New("upload body closed")
)

// Submit uploads one file with opts (after WithDefaults and Validate) and
// returns the API's reply. Nothing touches the network until the options
// and the file passed their checks. The file is streamed, never read into
// memory; onProgress (may be nil) hears about bytes sent and retries.
//
// Failures are typed: *FieldError, *FileError, *APIError, *ConnError,
// *NetError, *StallError, *RefusedError, *InterruptedError,
// *UnknownOutcomeError, possibly inside *GaveUpError; OutcomeOf maps them
// to the history's kinds. With an *UnknownOutcomeError whose reply named a
// batch id, that reply is returned too, so the id can be recorded and the
// job checked. Retries happen only where no job can exist (see the API
// doc).
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
	err = c.retryLoop(ctx, "submit", c.retry.MaxAttempts,
		func(n int) attempt {
			s, a := c.submitOnce(ctx, target, up, n, report)
			sub = s
			return a
		},
		func(next int, wait time.Duration, reason string) {
			report(Progress{Total: up.total, Attempt: next, RetryIn: wait, RetryReason: reason})
		})
	if sub != nil && sub.EndpointID == "" {
		sub.EndpointID = opts.Endpoint
	}
	return sub, err
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
	if up.size > expectContinueSize && !up.noExpect {
		req.Header.Set("Expect", "100-continue")
	}
	// Whether any byte of a reply came decides what a reset means.
	var (
		replied atomic.Bool
		used    atomic.Pointer[conn]
	)
	req = req.WithContext(httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn:              func(info httptrace.GotConnInfo) { used.Store(connOf(info.Conn)) },
		GotFirstResponseByte: func() { replied.Store(true) },
	}))

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
		reset := isReset(err)
		if cn := used.Load(); cn != nil && cn.reset.Load() {
			reset = true
		}
		return nil, c.uploadFailed(ctx, actx, req, err, body, body.sent.Load() == up.total, reset && !replied.Load())
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
		sub, err := parseSubmitted(resp.StatusCode, data, c.key)
		return sub, attempt{err: err}
	}

	apiErr := c.apiError("submit", resp, data, req)
	if ce := c.replyConnError(resp, apiErr.Message, req); ce != nil {
		return nil, attempt{err: ce}
	}
	a := attempt{err: apiErr}
	a.retryAfter, a.haveRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	switch {
	case resp.StatusCode == http.StatusExpectationFailed && req.Header.Get("Expect") != "":
		// Something in between (a proxy) refuses Expect: 100-continue.
		// It answered before the body, so once more without it.
		up.noExpect = true
		a.retry, a.haveRetryAfter, a.reason = true, true, "HTTP 417: trying again without Expect: 100-continue"
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

// uploadFailed classifies an error from the round trip. full: the whole
// body went to the kernel; resetUnread: the server reset the connection
// before any byte of a reply.
func (c *Client) uploadFailed(ctx, actx context.Context, req *http.Request, err error, body *uploadBody, full, resetUnread bool) attempt {
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
	if ce := c.connError(err, req); ce != nil {
		return attempt{err: ce}
	}
	// The kernel's socket buffers can hold a whole small upload, so "all
	// written" says nothing about what the server read. A reset before any
	// reply does: a socket closed with unread data sends RST, one closed
	// after reading everything sends FIN. So a reset before a reply means
	// the server did not take the whole body, and no job exists.
	if full && !resetUnread {
		return attempt{err: &UnknownOutcomeError{Cause: &NetError{Host: c.host, During: "waiting for the reply", Err: err}}}
	}
	during := "uploading"
	switch {
	case sent == 0:
		during = "connecting"
	case full:
		during = "sending" // reset before the server read it all
	}
	if resetUnread && !errors.Is(err, syscall.ECONNRESET) {
		// What happened, not net/http's echo of it ("use of closed network
		// connection"), nor EPIPE: a write after the server's reset.
		err = syscall.ECONNRESET
	}
	ne := &NetError{Host: c.host, During: during, Err: err}
	return attempt{err: ne, retry: true, reason: "network error: " + netErrText(err)}
}

func (c *Client) replyReadError(ctx context.Context, status int, err error) error {
	switch {
	case errors.Is(err, errReplyIdle):
		return &ReplyError{HTTPStatus: status, Problem: fmt.Sprintf("reply stalled (no byte for %s)", roundDuration(c.replyIdle))}
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, errReplyTooLarge):
		return &ReplyError{HTTPStatus: status, Problem: "reply too large"}
	}
	return &ReplyError{HTTPStatus: status, Problem: "reply cut short: " + Redact(netErrText(err), c.key)}
}

var errReplyTooLarge = errors.New("reply too large")

// readReply reads resp's body, at most limit bytes, giving up after
// ReplyIdleTimeout without a byte. There is no total deadline: a transcript
// of tens of MB over a slow link takes what it takes.
func (c *Client) readReply(actx context.Context, cancel context.CancelCauseFunc, resp *http.Response, limit int64) ([]byte, error) {
	timer := time.AfterFunc(c.replyIdle, func() { cancel(errReplyIdle) })
	defer timer.Stop()
	data, err := io.ReadAll(&idleReader{r: io.LimitReader(resp.Body, limit+1), timer: timer, idle: c.replyIdle})
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, errReplyIdle) {
			err = errReplyIdle
		}
		return data, err
	}
	if int64(len(data)) > limit {
		return data[:limit], errReplyTooLarge
	}
	return data, nil
}

// idleReader pushes its timer back with every byte read.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.timer.Reset(r.idle)
	}
	return n, err
}

func (c *Client) apiError(op string, resp *http.Response, data []byte, req *http.Request) *APIError {
	e := &APIError{
		Op:         op,
		HTTPStatus: resp.StatusCode,
		Message:    serverMessage(resp.StatusCode, resp.Header.Get("Content-Type"), data, c.key),
		From:       c.host,
	}
	if p := c.proxyOf(req); p != nil {
		e.From += " through proxy " + c.proxyName(p)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = Redact(oneLine(resp.Header.Get("Location")), c.key)
	}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// parseSubmitted decides what a 2xx submit reply means. Only status
// "submitted" (any case) with a batch id is a submission. Any other reply
// that names a batch id is an *UnknownOutcomeError returned with that
// Submitted, so the id is recorded and the job can still be checked; a
// reply that says another status and names none is a *RefusedError.
func parseSubmitted(httpStatus int, data []byte, key string) (*Submitted, error) {
	r := decodeReply(data, key)
	batchID, badID := r.id("batch_id")
	accountID, badAccount := r.id("account_id")
	endpointID, _ := r.text("endpoint_id")
	status, hasStatus := r.text("status")
	message, _ := r.text("message")
	sub := &Submitted{
		Status:     Redact(oneLine(status), key),
		BatchID:    batchID,
		AccountID:  accountID,
		EndpointID: strings.TrimSpace(endpointID),
		Message:    Redact(oneLine(message), key),
	}
	sub.Odd = Redact(r.oddities(), key)
	unknown := func(problem string) (*Submitted, error) {
		if sub.Odd != "" && r.broken == "" {
			problem += " (" + sub.Odd + ")"
		}
		err := &UnknownOutcomeError{
			Cause:      &ReplyError{HTTPStatus: httpStatus, Problem: Redact(problem, key)},
			HTTPStatus: httpStatus,
			BatchID:    batchID,
		}
		if batchID == "" {
			return nil, err
		}
		return sub, err
	}
	said := ""
	if sub.Message != "" {
		said = ": " + sub.Message
	}
	switch {
	case r.broken != "":
		return unknown(r.broken)
	case badID != "":
		return unknown(badID)
	case !strings.EqualFold(strings.TrimSpace(status), "submitted") && batchID == "":
		if !hasStatus {
			return unknown("reply has neither status nor batch_id")
		}
		return nil, &RefusedError{HTTPStatus: httpStatus, Status: sub.Status, Message: sub.Message}
	case !hasStatus:
		return unknown("reply has no status")
	case !strings.EqualFold(strings.TrimSpace(status), "submitted"):
		return unknown(fmt.Sprintf("the server answered status %q, not \"submitted\"%s", truncate(sub.Status, 40), said))
	case batchID == "":
		return unknown("reply has no batch_id")
	case badAccount != "":
		return unknown(badAccount + ", so the job's status cannot be checked")
	case accountID == "":
		return unknown("reply has no account_id, so the job's status cannot be checked")
	}
	return sub, nil
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
	noExpect    bool   // a 417 said not to send Expect: 100-continue
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
