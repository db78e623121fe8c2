package submit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
)

func TestRedact(t *testing.T) {
	const key = "fw_Secret+Key/42="
	for _, s := range []string{
		"invalid key fw_Secret+Key/42=",
		"invalid key FW_SECRET+KEY/42=",
		"GET /x?key=fw_Secret%2BKey%2F42%3D failed",
		"path /fw_Secret+Key%2F42= not found",
		`{"key":"fw_Secret+Key/42="}`,
		"Basic " + "ZndfU2VjcmV0K0tleS80Mj0=",
		"fw_Secret+Key/42=fw_Secret+Key/42=",
	} {
		got := Redact(s, key)
		if strings.Contains(strings.ToLower(got), "secret") || !strings.Contains(got, "[redacted]") {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
	// A key cut short, by the server or anyone in between, is still a
	// secret: any run of 12 or more of its characters goes.
	const long = "fw_3f9aD81kQz0pLm7Xc2Vb5Nn4"
	for _, tt := range []struct{ in, want string }{
		{"key fw_3f9aD81kQz0… refused", "key [redacted]… refused"},
		{"tail D81kQz0pLm7Xc2Vb5Nn4", "tail [redacted]"},
		{"mid 9aD81kQz0pLm7X end", "mid [redacted] end"},
		{"upper FW_3F9AD81KQZ0PLM", "upper [redacted]"},
		{"two fw_3f9aD81kQz0 and Lm7Xc2Vb5Nn4.", "two [redacted] and [redacted]."},
		{"bad utf8 \xff9aD81kQz0pLm7\xfe", "bad utf8 \xff[redacted]\xfe"},
		{"short fw_3f9aD81k stays", "short fw_3f9aD81k stays"},
	} {
		if got := Redact(tt.in, long); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	if got := Redact("nothing here", key); got != "nothing here" {
		t.Errorf("changed a clean string: %q", got)
	}
	if got := Redact("text", ""); got != "text" {
		t.Errorf("empty key changed the text: %q", got)
	}
}

func TestServerMessage(t *testing.T) {
	tests := []struct {
		status      int
		contentType string
		body        string
		want        string
	}{
		{401, "application/json", `{"error":{"object":"error","type":"authentication_error","message":"invalid key"}}`, "invalid key"},
		{400, "application/json", `{"error":"bad thing"}`, "bad thing"},
		{400, "application/json", `{"message":"plain message"}`, "plain message"},
		{422, "application/json", `{"detail":[{"loc":["body","diarize"],"msg":"field required"}]}`, "diarize: field required"},
		{400, "application/json", `{"detail":"nope"}`, "nope"},
		{502, "text/html", "<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body><h1>502 Bad&nbsp;Gateway</h1>\n<script>alert(1)</script><p>nginx</p></body></html>", "502 Bad Gateway nginx"},
		{503, "", "", "service unavailable"},
		{599, "", "  ", "no message"},
		{500, "text/plain", "line one\nline two\r\n", "line one line two"},
		{500, "text/plain", strings.Repeat("x", 500), strings.Repeat("x", 200) + "…"},
		{500, "text/plain", "bad \xff utf8", "bad ? utf8"},
	}
	for _, tt := range tests {
		if got := serverMessage(tt.status, tt.contentType, []byte(tt.body), ""); got != tt.want {
			t.Errorf("serverMessage(%d, %q)\n got %q\nwant %q", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"999999999", 24 * time.Hour, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{"1.5", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.v, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n := 1; n <= 40; n++ {
		ceiling := min(time.Second<<min(n-1, 30), 10*time.Second)
		for range 50 {
			if d := backoff(time.Second, 10*time.Second, n); d < 0 || d > ceiling {
				t.Fatalf("backoff(n=%d) = %v, want within [0, %v]", n, d, ceiling)
			}
		}
	}
}

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		err  error
		want store.Kind
	}{
		{nil, store.KindSubmitted},
		{&UnknownOutcomeError{Cause: &APIError{HTTPStatus: 500, Message: "x"}, HTTPStatus: 500}, store.KindUnknown},
		{&UnknownOutcomeError{Cause: &InterruptedError{Cause: context.Canceled}}, store.KindUnknown},
		{&InterruptedError{Cause: context.Canceled}, store.KindInterrupted},
		{&InterruptedError{Cause: context.DeadlineExceeded}, store.KindInterrupted},
		{fmt.Errorf("wrapped: %w", context.Canceled), store.KindInterrupted},
		{&APIError{HTTPStatus: 401}, store.KindFailed},
		{&GaveUpError{Attempts: 3, Last: &APIError{HTTPStatus: 429}}, store.KindFailed},
		{&FileError{Path: "a", Problem: "empty file"}, store.KindFailed},
		{&FieldError{Field: "diarize", Problem: "x"}, store.KindFailed},
		{errors.New("other"), store.KindFailed},
	}
	for _, tt := range tests {
		if got := OutcomeOf(tt.err); got != tt.want {
			t.Errorf("OutcomeOf(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestAPIErrorSteps(t *testing.T) {
	for status, want := range map[int]string{
		400: "fix the options", 401: "FIREWORKS_API_KEY", 402: "billing", 403: "FIREWORKS_API_KEY",
		404: "--base-url", 408: "try again", 412: "suspended", 413: "the server refused the size", 422: "fix them",
		429: "lower --concurrency", 500: "try again later", 504: "try again later", 301: "redirect", 418: "unexpected",
	} {
		e := &APIError{Op: "submit", HTTPStatus: status, Message: "m"}
		msg := e.Error()
		if !strings.HasPrefix(msg, fmt.Sprintf("HTTP %d: m — ", status)) || !strings.Contains(msg, want) {
			t.Errorf("%d: %q, want it to mention %q", status, msg, want)
		}
		if got := HTTPStatusOf(e); got != status {
			t.Errorf("HTTPStatusOf = %d", got)
		}
	}
	if msg := (&APIError{Op: "status", HTTPStatus: 404, Message: "m"}).Error(); !strings.Contains(msg, "check the batch id") {
		t.Errorf("status 404: %q", msg)
	}
	if msg := (&APIError{Op: "submit", HTTPStatus: 429, Message: "m", RetryAfter: 90 * time.Second}).Error(); !strings.HasSuffix(msg, "try again in 1m30s") {
		t.Errorf("429 with Retry-After: %q", msg)
	}
}

// TestInterruptedAtBytes: where an upload stopped is given in binary
// units, as every size fwbatch shows, and never reads as the whole file
// when some bytes did not go.
func TestInterruptedAtBytes(t *testing.T) {
	const total = 11 << 20
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&InterruptedError{Op: "submit", Cause: context.Canceled, Sent: 3 << 20, Total: total}, "interrupted at 3.0 MiB of 11.0 MiB — nothing was submitted"},
		{&InterruptedError{Op: "submit", Cause: context.Canceled, Sent: total - 1, Total: total}, "interrupted at 11534335 of 11534336 bytes — nothing was submitted"},
		{&StallError{After: time.Minute, Sent: total - 100, Total: total}, "no progress for 1m0s at 11534236 of 11534336 bytes — nothing was submitted"},
	} {
		if got := tt.err.Error(); !strings.Contains(got, tt.want) {
			t.Errorf("%q, want %q in it", got, tt.want)
		}
	}
}
