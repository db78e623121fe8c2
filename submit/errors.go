package submit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/store"
)

// Every error this package returns has an Error() that is one line saying
// what happened and what to do next, with the API key removed.

// APIError is a reply with an HTTP error status.
type APIError struct {
	Op         string // "submit" or "status"
	HTTPStatus int
	Message    string        // the server's message, one line, redacted
	RetryAfter time.Duration // from Retry-After; 0 when absent
	From       string        // who answered: the API's host, and " through proxy …" when one is used
	Location   string        // a redirect's target, redacted
}

func (e *APIError) summary() string {
	if e.Location != "" {
		return fmt.Sprintf("HTTP %d: redirected to %s", e.HTTPStatus, e.Location)
	}
	return fmt.Sprintf("HTTP %d: %s", e.HTTPStatus, e.Message)
}

func (e *APIError) Error() string { return e.summary() + " — " + e.nextStep() }

func (e *APIError) nextStep() string {
	s := e.HTTPStatus
	switch {
	case s == 400 && e.Op == "status":
		return "check the batch id"
	case s == 400:
		return "fix the options and submit again"
	case s == 401:
		return "check FIREWORKS_API_KEY"
	case s == 402:
		return "check the Fireworks account's billing and spending limit"
	case s == 403:
		return "check FIREWORKS_API_KEY and the account's permissions"
	case s == 404 && e.Op == "status":
		return "no such batch job: it may have expired, or check the batch id and account"
	case s == 404:
		return "check --base-url (FIREWORKS_BATCH_BASE_URL)"
	case s == 408:
		return "the server timed out; try again"
	case s == 412:
		return "the Fireworks account is suspended; contact Fireworks support"
	case s == 413:
		return fmt.Sprintf("the server refused the size (HTTP 413 from %s); the API takes files up to 1 GB, "+
			"so a server or proxy in front of it may have a lower limit: split or compress the file, or check --base-url and the proxy", e.From)
	case s == 422:
		return "the server refused the options; fix them and submit again"
	case s == 429 && e.RetryAfter > 0:
		return fmt.Sprintf("rate limited; try again in %s", roundDuration(e.RetryAfter))
	case s == 429:
		return "rate limited; try again later or lower --concurrency"
	case s >= 500:
		return "server error; try again later"
	case s >= 300 && s < 400 && e.Location != "":
		return "fwbatch does not follow redirects (one could carry the key elsewhere): if you trust the new address, set --base-url (FIREWORKS_BATCH_BASE_URL) to it"
	case s >= 300 && s < 400:
		return "unexpected redirect; check --base-url (FIREWORKS_BATCH_BASE_URL)"
	}
	return "unexpected reply; check --base-url (FIREWORKS_BATCH_BASE_URL)"
}

// UnknownOutcomeError: the whole upload was sent but no valid reply came
// back, so a batch job may or may not exist. It is never retried.
type UnknownOutcomeError struct {
	Cause      error
	HTTPStatus int    // 0 when no reply status was seen
	BatchID    string // the batch id the reply named anyway, if any
}

func (e *UnknownOutcomeError) Error() string {
	if e.BatchID != "" {
		return summary(e.Cause) + " — outcome unknown: the reply named batch id " + e.BatchID +
			", which fwbatch status can check; resubmitting may create a duplicate"
	}
	return summary(e.Cause) + " — outcome unknown: a batch job may have been created; resubmitting may create a duplicate"
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Cause }

// RefusedError is a 2xx submit reply that says a status other than
// "submitted" and names no batch id: the server did not take the file.
type RefusedError struct {
	HTTPStatus      int
	Status, Message string // as the server said them, redacted
}

func (e *RefusedError) summary() string {
	s := fmt.Sprintf("HTTP %d: the server answered status %q", e.HTTPStatus, truncate(e.Status, 40))
	if e.Message != "" {
		s += ": " + truncate(e.Message, 200)
	}
	return s
}

func (e *RefusedError) Error() string {
	return e.summary() + " — no batch id came back, so no job exists; submit it again later"
}

// ReplyError is a reply fwbatch cannot use: not JSON, a missing batch_id,
// about another batch, too large, stalled.
type ReplyError struct {
	HTTPStatus int // 0 when the status line never came
	Problem    string
}

func (e *ReplyError) summary() string {
	if e.HTTPStatus == 0 {
		return e.Problem
	}
	return fmt.Sprintf("HTTP %d: %s", e.HTTPStatus, e.Problem)
}

func (e *ReplyError) Error() string {
	return e.summary() + " — the server's reply is unusable; try again later or check --base-url"
}

// NetError is a failed connection, or one that broke before the upload was
// complete, so no job exists.
type NetError struct {
	Host   string
	During string // "connecting", "uploading", "waiting for the reply", ...
	Err    error
}

func (e *NetError) summary() string {
	return fmt.Sprintf("network error %s (%s): %s", e.During, e.Host, netErrText(e.Err))
}

func (e *NetError) Error() string {
	switch e.During {
	case "connecting":
		return e.summary() + " — nothing was sent; check the network and --base-url"
	case "checking the status":
		return e.summary() + " — check the network and try again"
	}
	return e.summary() + " — nothing was submitted; check the network and try again"
}

func (e *NetError) Unwrap() error { return e.Err }

// ConnError: fwbatch could not talk to the API for a reason no retry can
// fix, so none is made: a TLS certificate it does not trust, TLS and plain
// HTTP mixed up, a proxy that refuses or is down, a host that does not
// exist. Nothing reached the API.
type ConnError struct {
	Host       string
	Proxy      string // the proxy, when it is the cause: "http://host:port (HTTPS_PROXY)"
	HTTPStatus int    // the reply that told, if one did (407, 400)
	Problem    string // what is wrong, one line, redacted
	Fix        string // what to do
	Err        error  // the underlying error, if any
}

func (e *ConnError) summary() string {
	if e.Proxy != "" {
		return e.Problem
	}
	return fmt.Sprintf("%s (%s)", e.Problem, e.Host)
}

func (e *ConnError) Error() string { return e.summary() + " — nothing was sent to the API; " + e.Fix }

func (e *ConnError) Unwrap() error { return e.Err }

// StallError: the upload made no progress for Config.StallTimeout and was
// aborted before it was complete, so no job exists.
type StallError struct {
	After       time.Duration
	Sent, Total int64
}

func (e *StallError) summary() string {
	return fmt.Sprintf("upload stalled: no progress for %s at %s",
		roundDuration(e.After), cost.BytesOf(e.Sent, e.Total))
}

func (e *StallError) Error() string {
	return e.summary() + " — nothing was submitted; check the network and try again"
}

// InterruptedError: the context was cancelled. For a submission that means
// before the upload was complete, so no job exists; cancelled after that,
// the outcome is an *UnknownOutcomeError instead.
type InterruptedError struct {
	Cause       error  // context.Canceled or context.DeadlineExceeded
	Op          string // "submit" or "status"
	Sent, Total int64  // how far the upload got; 0 of 0 between tries
}

func (e *InterruptedError) summary() string {
	switch {
	case e.Op == "status" && errors.Is(e.Cause, context.DeadlineExceeded):
		return "the status check timed out"
	case e.Op == "status":
		return "interrupted while checking the status"
	case e.Total == 0:
		return "interrupted before the upload"
	}
	return "interrupted at " + cost.BytesOf(e.Sent, e.Total)
}

func (e *InterruptedError) Error() string {
	if e.Op == "status" {
		return e.summary()
	}
	return e.summary() + " — nothing was submitted; submit it again when ready"
}

func (e *InterruptedError) Unwrap() error { return e.Cause }

// GaveUpError is the last error of an operation that was retried
// automatically until the retry policy ran out.
type GaveUpError struct {
	Attempts int
	Last     error
}

func (e *GaveUpError) Error() string {
	msg := e.Last.Error()
	head, step, ok := strings.Cut(msg, " — ")
	if !ok {
		return fmt.Sprintf("%s (gave up after %d tries)", msg, e.Attempts)
	}
	return fmt.Sprintf("%s (gave up after %d tries) — %s", head, e.Attempts, step)
}

func (e *GaveUpError) Unwrap() error { return e.Last }

// summary is an error's first half, without the next step, for errors that
// are the cause of another.
func summary(err error) string {
	if s, ok := err.(interface{ summary() string }); ok {
		return s.summary()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "interrupted while waiting for the reply"
	}
	return oneLine(err.Error())
}

// OutcomeOf maps the error of Submit to the history's event kind.
func OutcomeOf(err error) store.Kind {
	var unknown *UnknownOutcomeError
	switch {
	case err == nil:
		return store.KindSubmitted
	case errors.As(err, &unknown):
		return store.KindUnknown
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return store.KindInterrupted
	}
	return store.KindFailed
}

// Explain returns the one-line message for err that a user sees: what
// failed and what to do next. Errors from this package already read that
// way; others are flattened to one line.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	if err == context.Canceled {
		return "interrupted"
	}
	return oneLine(err.Error())
}

// HTTPStatusOf returns the HTTP status behind err, or 0.
func HTTPStatusOf(err error) int {
	var (
		a   *APIError
		u   *UnknownOutcomeError
		r   *ReplyError
		ref *RefusedError
	)
	var ce *ConnError
	switch {
	case errors.As(err, &a):
		return a.HTTPStatus
	case errors.As(err, &ref):
		return ref.HTTPStatus
	case errors.As(err, &ce):
		return ce.HTTPStatus
	case errors.As(err, &u) && u.HTTPStatus != 0:
		return u.HTTPStatus
	case errors.As(err, &r):
		return r.HTTPStatus
	}
	return 0
}

// minSecretRun is the shortest run of the key's characters that Redact
// treats as the key: a key cut short by a server, a proxy or our own
// truncation is still a secret, while 12 characters of a ≥ 32-character
// random key cannot turn up in innocent text by chance.
const minSecretRun = 12

// Redact removes key, its usual encodings (URL, JSON, Go quoting, base64),
// any change of case, and any run of at least 12 consecutive characters of
// one of them, from s. Every message built from a server's reply or a URL
// goes through it, before it is cut to length.
func Redact(s, key string) string {
	key = strings.TrimSpace(key)
	if key == "" || s == "" {
		return s
	}
	quoted, _ := json.Marshal(key)
	goQuoted := strconv.Quote(key)
	variants := []string{
		key,
		url.QueryEscape(key),
		url.PathEscape(key),
		string(quoted[1 : len(quoted)-1]),
		goQuoted[1 : len(goQuoted)-1],
		base64.StdEncoding.EncodeToString([]byte(key)),
		base64.RawStdEncoding.EncodeToString([]byte(key)),
		base64.URLEncoding.EncodeToString([]byte(key)),
		base64.RawURLEncoding.EncodeToString([]byte(key)),
	}
	for _, v := range variants {
		s = replaceFold(s, v, "[redacted]")
	}
	return redactRuns(s, variants)
}

// redactRuns replaces every stretch of s covered by windows of
// minSecretRun bytes that occur, ignoring ASCII case, in one of the
// secrets. Any run of at least minSecretRun characters of a secret is such
// a stretch, since each of its windows is part of the secret. It makes one
// pass over s, whatever its length.
func redactRuns(s string, secrets []string) string {
	windows := map[string]bool{}
	for _, v := range secrets {
		v = asciiLower(v)
		for i := 0; i+minSecretRun <= len(v); i++ {
			windows[v[i:i+minSecretRun]] = true
		}
	}
	if len(windows) == 0 || len(s) < minSecretRun {
		return s
	}
	lower := asciiLower(s) // same length: only ASCII letters change
	var b strings.Builder
	last, covered := 0, -1 // covered: end of the stretch being redacted
	for i := 0; i+minSecretRun <= len(s); i++ {
		if !windows[lower[i:i+minSecretRun]] {
			continue
		}
		if i > covered { // a new stretch starts
			if covered >= 0 {
				b.WriteString("[redacted]")
				last = covered
			}
			b.WriteString(s[last:i])
		}
		covered = i + minSecretRun
	}
	if covered < 0 {
		return s
	}
	b.WriteString("[redacted]")
	b.WriteString(s[covered:])
	return b.String()
}

// asciiLower lowers ASCII letters byte by byte: positions stay those of s,
// even where s is not valid UTF-8.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	if old == "" || len(old) > len(s) {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i+len(old) <= len(s); {
		if strings.EqualFold(s[i:i+len(old)], old) {
			b.WriteString(s[last:i])
			b.WriteString(repl)
			i += len(old)
			last = i
			continue
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// oneLine collapses runs of white space, newlines included, to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// serverMessage extracts a readable one-line message from an error reply:
// the documented {"error":{"message"}} shape and the other usual JSON
// shapes, else the text of an HTML page or plain text, at most ~200
// characters; the status text when the body says nothing. key is redacted
// before the text is cut: a cut key is still a secret, and one the cut
// makes too short to recognise.
func serverMessage(status int, contentType string, body []byte, key string) string {
	msg := jsonMessage(body)
	if msg == "" {
		text := string(body)
		if strings.Contains(strings.ToLower(contentType), "html") || strings.HasPrefix(strings.TrimSpace(text), "<") {
			text = stripHTML(text)
		}
		msg = text
	}
	msg = oneLine(Redact(strings.ToValidUTF8(msg, "?"), key))
	if msg == "" {
		msg = strings.ToLower(http.StatusText(status))
		if msg == "" {
			msg = "no message"
		}
	}
	return truncate(msg, 200)
}

func jsonMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return s
	}
	var inner struct{ Message, Type string }
	if json.Unmarshal(v.Error, &inner) == nil && inner.Message != "" {
		return inner.Message
	}
	if v.Message != "" {
		return v.Message
	}
	if json.Unmarshal(v.Detail, &s) == nil && s != "" {
		return s
	}
	var details []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(v.Detail, &details) == nil && len(details) > 0 {
		var parts []string
		for _, d := range details {
			loc := ""
			if n := len(d.Loc); n > 0 {
				loc = fmt.Sprint(d.Loc[n-1]) + ": "
			}
			parts = append(parts, loc+d.Msg)
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// stripHTML returns the visible text of an HTML page, without its head,
// scripts and styles.
func stripHTML(s string) string {
	lower := strings.ToLower(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(s[i : i+j])
			b.WriteByte(' ')
			i += j
			continue
		}
		skipped := false
		for _, tag := range []string{"head", "script", "style"} {
			if strings.HasPrefix(lower[i+1:], tag) {
				if end := strings.Index(lower[i:], "</"+tag); end >= 0 {
					i += end + 2 + len(tag)
					skipped = true
				}
				break
			}
		}
		if skipped {
			if j := strings.IndexByte(s[i:], '>'); j >= 0 {
				i += j + 1
			} else {
				i = len(s)
			}
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return html.UnescapeString(b.String())
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

func roundDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	if d%time.Second != 0 {
		d = d.Round(time.Second)
	}
	if d < time.Minute {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}
