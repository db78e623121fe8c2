package submit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func TestClassify(t *testing.T) {
	for status, want := range map[string]submit.JobState{
		"completed":      submit.Completed,
		"COMPLETED":      submit.Completed,
		" completed ":    submit.Completed,
		"processing":     submit.Pending,
		"queued":         submit.Pending,
		"submitted":      submit.Pending,
		"":               submit.Pending,
		"completed_soon": submit.Pending,
		"failed":         submit.Failed,
		"FAILURE":        submit.Failed,
		"error":          submit.Failed,
		"internal_error": submit.Failed,
		"cancelled":      submit.Failed,
		"canceled":       submit.Failed,
		"expired":        submit.Failed,
		"Expired":        submit.Failed,
	} {
		if got := submit.Classify(status); got != want {
			t.Errorf("Classify(%q) = %s, want %s", status, got, want)
		}
	}
}

// statusServer answers every status request with reply.
func statusServer(t *testing.T, reply string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(reply))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestResult decodes the body of each format byte for byte: JSON formats
// come double-encoded, text formats as they are.
func TestResult(t *testing.T) {
	tests := []struct {
		name, reply, format, want string
		wantErr                   bool
	}{
		{name: "json", format: "json",
			reply: `{"status":"completed","batch_id":"b1","message":null,"content_type":"application/json","body":"{\"text\":\"Hallo \\\"Welt\\\" \\u00fc\"}"}`,
			want:  `{"text":"Hallo \"Welt\" \u00fc"}`},
		{name: "verbose_json", format: "verbose_json",
			reply: `{"status":"completed","batch_id":"b1","content_type":"application/json","body":"{\"task\":\"transcribe\",\"language\":\"en\",\"duration\":1.5,\"text\":\"Hi there.\",\"words\":[{\"word\":\"Hi\",\"start\":0,\"end\":0.4,\"speaker_id\":\"SPEAKER_00\"},{\"word\":\"there.\",\"start\":0.5,\"end\":1.0,\"speaker_id\":\"SPEAKER_01\"}],\"segments\":[]}"}`,
			want:  `{"task":"transcribe","language":"en","duration":1.5,"text":"Hi there.","words":[{"word":"Hi","start":0,"end":0.4,"speaker_id":"SPEAKER_00"},{"word":"there.","start":0.5,"end":1.0,"speaker_id":"SPEAKER_01"}],"segments":[]}`},
		{name: "text", format: "text",
			reply: `{"status":"completed","batch_id":"b1","content_type":"text/plain; charset=utf-8","body":"Hello world.\nSecond line, ümlaut.\n"}`,
			want:  "Hello world.\nSecond line, ümlaut.\n"},
		{name: "srt", format: "srt",
			reply: `{"status":"completed","batch_id":"b1","content_type":"text/plain; charset=utf-8","body":"1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n"}`,
			want:  "1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n"},
		{name: "vtt", format: "vtt",
			reply: `{"status":"completed","batch_id":"b1","content_type":"text/plain; charset=utf-8","body":"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello.\n\n"}`,
			want:  "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello.\n\n"},
		{name: "json body sent as an object", format: "json",
			reply: `{"status":"completed","batch_id":"b1","content_type":"application/json","body":{"text":"hi"}}`,
			want:  `{"text":"hi"}`},
		{name: "empty transcript", format: "text",
			reply: `{"status":"completed","batch_id":"b1","content_type":"text/plain","body":""}`,
			want:  ""},
		{name: "completed without a body", format: "json",
			reply:   `{"status":"completed","batch_id":"b1","content_type":"application/json"}`,
			wantErr: true},
		{name: "still processing", format: "json",
			reply:   `{"status":"processing","batch_id":"b1","message":null}`,
			wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, statusServer(t, tt.reply), nil)
			job, err := c.Status(context.Background(), "acct", "b1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := job.Result()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Result = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Result\n got %q\nwant %q", got, tt.want)
			}
			if _, err := submit.ParseTranscript(tt.format, got); err != nil && tt.want != "" {
				t.Errorf("ParseTranscript: %v", err)
			}
		})
	}
}

func TestParseTranscript(t *testing.T) {
	verbose := `{"task":"transcribe","language":"en","duration":3.2,"text":"Hi there. Bye.",
		"words":[{"word":"Hi","start":0,"end":0.4,"speaker_id":"SPEAKER_00"},{"word":"there.","start":0.5,"end":1,"speaker_id":"SPEAKER_00"},{"word":"Bye.","start":2,"end":3.2,"speaker_id":"SPEAKER_01"}],
		"segments":[{"id":0,"start":0,"end":1,"text":" Hi there."},{"id":1,"start":2,"end":3.2,"text":" Bye.","speaker_id":"SPEAKER_01"}]}`
	tr, err := submit.ParseTranscript("verbose_json", []byte(verbose))
	if err != nil {
		t.Fatal(err)
	}
	want := []submit.Segment{{Start: 0, End: 1, Speaker: "SPEAKER_00", Text: "Hi there."}, {Start: 2, End: 3.2, Speaker: "SPEAKER_01", Text: "Bye."}}
	if tr.Language != "en" || tr.Duration != 3.2 || tr.Text != "Hi there. Bye." || len(tr.Segments) != 2 || tr.Segments[0] != want[0] || tr.Segments[1] != want[1] {
		t.Errorf("got %+v", tr)
	}
	// Words only: segments are built per speaker turn.
	tr, err = submit.ParseTranscript("verbose_json", []byte(`{"words":[{"word":"a","start":0,"end":1,"speaker_id":"S0"},{"word":"b","start":1,"end":2,"speaker_id":"S0"},{"word":"c","start":2,"end":3,"speaker_id":"S1"}]}`))
	if err != nil || len(tr.Segments) != 2 || tr.Segments[0].Text != "a b" || tr.Segments[1].Speaker != "S1" || tr.Text != "a b c" {
		t.Errorf("words only: %+v, %v", tr, err)
	}
	if tr, err := submit.ParseTranscript("json", []byte(`{"text":"hello"}`)); err != nil || tr.Text != "hello" {
		t.Errorf("json: %+v, %v", tr, err)
	}
	if _, err := submit.ParseTranscript("json", []byte(`hello`)); err == nil {
		t.Error("json: no error for a non-JSON result")
	}
	if _, err := submit.ParseTranscript("verbose_json", []byte(`{`)); err == nil {
		t.Error("verbose_json: no error for broken JSON")
	}
	for _, f := range []string{"text", "srt", "vtt"} {
		if tr, err := submit.ParseTranscript(f, []byte("1\nx\n")); err != nil || tr.Text != "1\nx\n" {
			t.Errorf("%s: %+v, %v", f, tr, err)
		}
	}
}

func TestResultExt(t *testing.T) {
	for format, want := range map[string]string{"json": ".json", "text": ".txt", "srt": ".srt", "verbose_json": ".json", "vtt": ".vtt"} {
		if got := submit.ResultExt(format); got != want {
			t.Errorf("ResultExt(%q) = %q, want %q", format, got, want)
		}
	}
}

// TestStatusFlow follows a job through processing to completed, as
// `status --wait` will.
func TestStatusFlow(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Polls: 2})
	c, _ := newClient(t, fake.URL(), nil)
	sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{ResponseFormat: "srt"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var states []submit.JobState
	for range 3 {
		job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, job.State())
		if job.State() == submit.Pending && (job.Status != "processing" || job.HasBody) {
			t.Errorf("pending job %+v", job)
		}
	}
	if states[0] != submit.Pending || states[1] != submit.Pending || states[2] != submit.Completed {
		t.Errorf("states %v, want pending, pending, completed", states)
	}
	for _, r := range fake.Requests() {
		if r.Kind == "status" && (r.Header.Get("Authorization") != canary || r.RawQuery != "") {
			t.Errorf("status request %s?%s with Authorization %q", r.Path, r.RawQuery, r.Header.Get("Authorization"))
		}
	}
}

// TestStatusDelay: a job completes only once its delay has passed.
func TestStatusDelay(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	fake := startFake(t, fakeapi.Config{Delay: time.Hour, Now: func() time.Time { return time.Unix(0, now.Load()) }})
	c, _ := newClient(t, fake.URL(), nil)
	sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
	if err != nil || job.State() != submit.Pending {
		t.Fatalf("before the delay: %+v, %v", job, err)
	}
	now.Add(int64(time.Hour))
	job, err = c.Status(context.Background(), sub.AccountID, sub.BatchID)
	if err != nil || job.State() != submit.Completed {
		t.Fatalf("after the delay: %+v, %v", job, err)
	}
}

// TestStatusJobFailed: a job whose status turns to a failure is reported
// with the server's message.
func TestStatusJobFailed(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Polls: 1, Faults: faults(t, "1:job-failed,2:job-failed=expired")})
	c, _ := newClient(t, fake.URL(), nil)
	for _, want := range []string{"failed", "expired"} {
		sub, err := c.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		first, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		if err != nil || first.State() != submit.Pending {
			t.Fatalf("first check: %+v, %v", first, err)
		}
		job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
		if err != nil {
			t.Fatal(err)
		}
		if job.State() != submit.Failed || job.Status != want || job.Message == "" {
			t.Errorf("job %+v, want failed with status %q and a message", job, want)
		}
		if _, err := job.Result(); err == nil {
			t.Error("a failed job has a result")
		}
	}
}

// TestStatusFaults: status checks are retried on network errors, 429 and
// 5xx, never on 4xx or unusable replies.
func TestStatusFaults(t *testing.T) {
	var (
		apiErr   *submit.APIError
		replyErr *submit.ReplyError
	)
	tests := []struct {
		name     string
		faults   string
		client   func(*submit.Config)
		wantErr  any
		msg      []string
		requests int
	}{
		{name: "500 then fine", faults: "s1:500", requests: 2},
		{name: "502 then fine", faults: "s1:502", requests: 2},
		{name: "429 then fine", faults: "s1:429=3", requests: 2},
		{name: "429 date then fine", faults: "s1:429-date=3", requests: 2},
		{name: "503 with Retry-After then fine", faults: "s1:503-retry", requests: 2},
		{name: "reset then fine", faults: "s1:reset", requests: 2},
		// The timeouts end the faulty first check; the second must beat
		// them on a loaded machine too.
		{name: "hang then fine", faults: "s1:hang", requests: 2,
			client: func(c *submit.Config) { c.StatusHeaderTimeout = 500 * time.Millisecond }},
		{name: "reply stalls then fine", faults: "s1:stall-reply", requests: 2,
			client: func(c *submit.Config) { c.ReplyIdleTimeout = 500 * time.Millisecond }},
		{name: "503 every time", faults: "s*:503", requests: 3, wantErr: &apiErr,
			msg: []string{"HTTP 503", "gave up after 3 tries", "try again later"}},
		{name: "401", faults: "s1:401", requests: 1, wantErr: &apiErr, msg: []string{"HTTP 401", "check FIREWORKS_API_KEY"}},
		{name: "403", faults: "s1:403", requests: 1, wantErr: &apiErr, msg: []string{"HTTP 403"}},
		{name: "bad JSON", faults: "s1:bad-json", requests: 1, wantErr: &replyErr, msg: []string{"HTTP 200", "not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := startFake(t, fakeapi.Config{Faults: faults(t, tt.faults)})
			c, _ := newClient(t, fake.URL(), tt.client)
			// The upload goes through a client without the shortened
			// timeouts: they are for the status check's faults, and a
			// loaded machine may answer the upload slower than them.
			uploader, _ := newClient(t, fake.URL(), nil)
			sub, err := uploader.Submit(context.Background(), fixture("hello.wav"), submit.Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			job, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
			if tt.wantErr == nil {
				if err != nil || job.State() != submit.Completed {
					t.Errorf("Status = %+v, %v", job, err)
				}
			} else {
				checkMessage(t, err, tt.msg...)
				if !errors.As(err, tt.wantErr) {
					t.Errorf("error %T is not a %T", err, tt.wantErr)
				}
			}
			if n := fake.StatusCount(); n != tt.requests {
				t.Errorf("fake saw %d status requests, want %d", n, tt.requests)
			}
		})
	}
	t.Run("unknown job", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{})
		c, _ := newClient(t, fake.URL(), nil)
		_, err := c.Status(context.Background(), "fake-account", "no-such-batch")
		checkMessage(t, err, "HTTP 404", "no such batch job")
		if fake.StatusCount() != 1 {
			t.Errorf("%d requests", fake.StatusCount())
		}
		// Ids are path-escaped, never able to reach another route.
		_, err = c.Status(context.Background(), "fake-account", "../../../audio/transcriptions")
		checkMessage(t, err, "HTTP 404")
	})
	t.Run("cancelled", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "s*:hang")})
		c, _ := newClient(t, fake.URL(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Status(ctx, "fake-account", "b")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}
