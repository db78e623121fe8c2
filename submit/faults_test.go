package submit_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestSubmitFaults injects each fault and checks the outcome, the message
// (the HTTP status and the next step, never the key), and that automatic
// retries happen exactly where the API doc allows them, by counting the
// requests the fake saw.
func TestSubmitFaults(t *testing.T) {
	type want struct {
		kind     store.Kind
		errType  any      // a pointer to the error type errors.As must find
		msg      []string // substrings of the message
		requests int      // submit requests the fake saw
		waits    int      // waits between tries
		jobs     int      // jobs the fake created
	}
	var (
		apiErr     *submit.APIError
		unknownErr *submit.UnknownOutcomeError
		netErr     *submit.NetError
		stallErr   *submit.StallError
		gaveUp     *submit.GaveUpError
	)
	const dup = "resubmitting may create a duplicate"
	tests := []struct {
		name   string
		faults string
		big    bool // upload a file too big for the socket buffers
		fake   func(*fakeapi.Config)
		client func(*submit.Config)
		want   want
	}{
		{name: "401", faults: "1:401",
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 401", "check FIREWORKS_API_KEY"}, requests: 1}},
		{name: "wrong key echoed by the server",
			fake: func(c *fakeapi.Config) { c.APIKey = "the-right-key" },
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 401", "[redacted]", "check FIREWORKS_API_KEY"}, requests: 1}},
		{name: "403", faults: "1:403",
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 403", "check FIREWORKS_API_KEY"}, requests: 1}},
		{name: "413 before the body", faults: "1:413", big: true,
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 413", "the server refused the size (HTTP 413 from 127.0.0.1:"}, requests: 1}},
		{name: "422", faults: "1:422",
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 422", "fix them and submit again"}, requests: 1}},
		{name: "429 then accepted", faults: "1:429=7",
			want: want{kind: store.KindSubmitted, requests: 2, waits: 1, jobs: 1}},
		{name: "429 as an HTTP date then accepted", faults: "1:429-date=30",
			want: want{kind: store.KindSubmitted, requests: 2, waits: 1, jobs: 1}},
		{name: "429 every time", faults: "*:429=2",
			want: want{kind: store.KindFailed, errType: &gaveUp, msg: []string{"HTTP 429", "gave up after 3 tries", "try again in 2 s"}, requests: 3, waits: 2}},
		{name: "429 asking for longer than the cap", faults: "1:429=600",
			want: want{kind: store.KindFailed, errType: &apiErr, msg: []string{"HTTP 429", "try again in 10m0s"}, requests: 1}},
		{name: "500", faults: "1:500",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 500", dup}, requests: 1}},
		{name: "502 HTML page", faults: "1:502",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 502: 502 Bad Gateway nginx", dup}, requests: 1}},
		{name: "503 without Retry-After", faults: "1:503",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 503", dup}, requests: 1}},
		{name: "503 with Retry-After then accepted", faults: "1:503-retry=3",
			want: want{kind: store.KindSubmitted, requests: 2, waits: 1, jobs: 1}},
		{name: "200 with invalid JSON", faults: "1:bad-json",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 200", "not valid JSON", dup}, requests: 1, jobs: 1}},
		{name: "200 without batch_id", faults: "1:no-batch-id",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 200", "no batch_id", dup}, requests: 1, jobs: 1}},
		{name: "reset mid-upload then accepted", faults: "1:reset", big: true,
			want: want{kind: store.KindSubmitted, requests: 2, waits: 1, jobs: 1}},
		{name: "reset mid-upload every time", faults: "*:reset", big: true,
			want: want{kind: store.KindFailed, errType: &netErr, msg: []string{"network error uploading", "gave up after 3 tries", "nothing was submitted"}, requests: 3, waits: 2}},
		{name: "job created then the connection closed", faults: "1:created-close",
			want: want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"waiting for the reply", "connection closed by the server", dup}, requests: 1, jobs: 1}},
		{name: "headers never come", faults: "1:hang",
			client: func(c *submit.Config) { c.ResponseHeaderTimeout = 200 * time.Millisecond },
			want:   want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"timed out", dup}, requests: 1}},
		{name: "reply stalls", faults: "1:stall-reply",
			client: func(c *submit.Config) { c.ReplyIdleTimeout = 200 * time.Millisecond },
			want:   want{kind: store.KindUnknown, errType: &unknownErr, msg: []string{"HTTP 200", "reply stalled (no byte for 200ms)", dup}, requests: 1, jobs: 1}},
		{name: "reply trickles for longer than the idle timeout", faults: "1:trickle",
			// ~150 bytes, one per 4 ms or more: longer than the idle timeout.
			fake:   func(c *fakeapi.Config) { c.TrickleEvery = 4 * time.Millisecond },
			client: func(c *submit.Config) { c.ReplyIdleTimeout = 500 * time.Millisecond },
			want:   want{kind: store.KindSubmitted, requests: 1, jobs: 1}},
		{name: "reply trickles in time", faults: "1:trickle",
			fake: func(c *fakeapi.Config) { c.TrickleEvery = time.Microsecond },
			want: want{kind: store.KindSubmitted, requests: 1, jobs: 1}},
		// A stall of a second: short enough for a quick test, long enough
		// that a loaded machine's pauses in sending are not taken for one.
		{name: "upload stalls then accepted", faults: "1:stall", big: true,
			client: func(c *submit.Config) { c.StallTimeout = time.Second },
			want:   want{kind: store.KindSubmitted, requests: 2, waits: 1, jobs: 1}},
		{name: "upload stalls every time", faults: "*:stall", big: true,
			client: func(c *submit.Config) { c.StallTimeout = time.Second; c.Retry.MaxAttempts = 2 },
			want:   want{kind: store.KindFailed, errType: &stallErr, msg: []string{"upload stalled", "gave up after 2 tries", "nothing was submitted"}, requests: 2, waits: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeapi.Config{Faults: faults(t, tt.faults)}
			if tt.fake != nil {
				tt.fake(&cfg)
			}
			fake := startFake(t, cfg)
			c, sl := newClient(t, fake.URL(), tt.client)
			path := fixture("hello.wav")
			if tt.big {
				path = bigFile(t, bigSize)
			}
			var progress progressLog
			ctx, hung := bounded(t, "Submit with the fault "+tt.faults)
			sub, err := c.Submit(ctx, path, submit.Options{}, progress.add)
			hung()

			if got := submit.OutcomeOf(err); got != tt.want.kind {
				t.Errorf("outcome %s (%v), want %s", got, err, tt.want.kind)
			}
			if tt.want.kind == store.KindSubmitted {
				if err != nil || sub == nil || sub.BatchID == "" {
					t.Fatalf("Submit = %+v, %v", sub, err)
				}
			} else {
				checkMessage(t, err, tt.want.msg...)
				if !errors.As(err, tt.want.errType) {
					t.Errorf("error %T (%v) is not a %T", err, err, tt.want.errType)
				}
			}
			if n := fake.SubmitCount(); n != tt.want.requests {
				t.Errorf("fake saw %d submit requests, want %d", n, tt.want.requests)
			}
			if n := len(sl.waits()); n != tt.want.waits {
				t.Errorf("%d waits between tries (%v), want %d", n, sl.waits(), tt.want.waits)
			}
			if n := len(fake.Jobs()); n != tt.want.jobs {
				t.Errorf("fake made %d jobs, want %d", n, tt.want.jobs)
			}
			// Every report of a retry says why and how long, and leaks no key.
			retries := 0
			for _, p := range progress.all() {
				if strings.Contains(p.RetryReason, canary) {
					t.Errorf("key in a progress report: %+v", p)
				}
				if p.RetryIn > 0 || p.RetryReason != "" {
					retries++
					if p.RetryReason == "" || p.Attempt < 2 {
						t.Errorf("retry report %+v lacks a reason or an attempt number", p)
					}
				}
			}
			if retries != tt.want.waits {
				t.Errorf("%d retry reports, want %d", retries, tt.want.waits)
			}
		})
	}
}

// TestRetryWaits checks the waits: Retry-After in seconds and as a date is
// honoured, backoff without it is jittered below the doubling cap.
func TestRetryWaits(t *testing.T) {
	t.Run("Retry-After seconds", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:429=7,2:503-retry=4")})
		c, sl := newClient(t, fake.URL(), nil)
		var progress progressLog
		if _, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, progress.add); err != nil {
			t.Fatal(err)
		}
		if got := sl.waits(); !slices.Equal(got, []time.Duration{7 * time.Second, 4 * time.Second}) {
			t.Errorf("waits %v, want [7s 4s]", got)
		}
		var reasons []string
		for _, p := range progress.all() {
			if p.RetryIn > 0 {
				reasons = append(reasons, p.RetryReason)
			}
		}
		if !slices.Equal(reasons, []string{"HTTP 429", "HTTP 503"}) {
			t.Errorf("retry reasons %q", reasons)
		}
	})
	t.Run("Retry-After date", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:429-date=30")})
		c, sl := newClient(t, fake.URL(), nil)
		if _, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil); err != nil {
			t.Fatal(err)
		}
		// An HTTP date has whole seconds.
		if got := sl.waits(); len(got) != 1 || got[0] < 28*time.Second || got[0] > 30*time.Second {
			t.Errorf("waits %v, want about 30s", got)
		}
	})
	t.Run("backoff", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "*:reset")})
		c, sl := newClient(t, fake.URL(), func(c *submit.Config) {
			c.Retry = submit.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second, MaxTotal: time.Hour}
		})
		_, err := c.Submit(context.Background(), bigFile(t, bigSize), submit.Options{}, nil)
		checkMessage(t, err, "gave up after 5 tries")
		caps := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
		got := sl.waits()
		if len(got) != len(caps) {
			t.Fatalf("waits %v, want %d", got, len(caps))
		}
		for i, d := range got {
			if d < 0 || d > caps[i] {
				t.Errorf("wait %d is %v, want at most %v", i+1, d, caps[i])
			}
		}
	})
	t.Run("total cap", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "*:429=40")})
		c, sl := newClient(t, fake.URL(), func(c *submit.Config) {
			c.Retry = submit.RetryPolicy{MaxAttempts: 10, MaxDelay: time.Minute, MaxTotal: 100 * time.Second}
		})
		_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
		checkMessage(t, err, "HTTP 429", "gave up after 3 tries")
		if got := sl.waits(); len(got) != 2 {
			t.Errorf("waits %v, want 2 (a third would pass the 100s total)", got)
		}
	})
}

// TestSubmitUnreachable: a refused connection is retried (nothing was
// sent), then reported as a network failure.
func TestSubmitUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, sl := newClient(t, "http://"+addr, nil)
	_, err = c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	checkMessage(t, err, "network error connecting", "connection refused", "gave up after 3 tries", "check the network and --base-url")
	if submit.OutcomeOf(err) != store.KindFailed {
		t.Errorf("outcome %s", submit.OutcomeOf(err))
	}
	if len(sl.waits()) != 2 {
		t.Errorf("waits %v, want 2", sl.waits())
	}
}

// TestSubmitWrongBaseURL: a 404 from a wrong base path points at --base-url.
func TestSubmitWrongBaseURL(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL()+"/prefix/", nil)
	_, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	checkMessage(t, err, "HTTP 404", "--base-url")
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}
