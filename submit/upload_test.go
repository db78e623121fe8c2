package submit_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// gate is a server that reads part of an upload (or all of it), tells the
// test, and waits for it before going on: the test acts mid-upload without
// guessing at timing.
type gate struct {
	url     string
	reached chan struct{} // closed once the handler got that far
	proceed chan struct{} // the test closes it to let the handler go on
	rest    chan error    // what reading the rest of the body gave
}

func newGate(t *testing.T, readAll bool) *gate {
	t.Helper()
	g := &gate{reached: make(chan struct{}), proceed: make(chan struct{}), rest: make(chan error, 1)}
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int64(64 << 10)
		if readAll {
			n = r.ContentLength
		}
		if _, err := io.CopyN(io.Discard, r.Body, n); err != nil {
			t.Errorf("gate: reading the first %d bytes: %v", n, err)
		}
		once.Do(func() { close(g.reached) })
		select {
		case <-g.proceed:
		case <-r.Context().Done():
			return
		}
		_, err := io.Copy(io.Discard, r.Body)
		g.rest <- err
		if err != nil {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"submitted","batch_id":"b1","account_id":"a1","endpoint_id":"audio-prod"}`)
	}))
	t.Cleanup(func() {
		select {
		case <-g.proceed:
		default:
			close(g.proceed)
		}
		srv.Close()
	})
	g.url = srv.URL
	return g
}

// submitAsync runs Submit in the background.
func submitAsync(c *submit.Client, ctx context.Context, path string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, path, submit.Options{}, nil)
		done <- err
	}()
	return done
}

// TestFileChangedDuringUpload: a file that grows, shrinks or is rewritten
// while it uploads fails, and the server never gets a whole body.
func TestFileChangedDuringUpload(t *testing.T) {
	tests := []struct {
		name   string
		change func(path string) error
		want   string
	}{
		{"grows", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("more audio")
			return err
		}, "changed during the upload (size 33554432 → 33554442 bytes)"},
		{"shrinks", func(p string) error { return os.Truncate(p, bigSize/2) }, "shrank during the upload"},
		{"rewritten in place", func(p string) error {
			later := time.Now().Add(time.Hour)
			return os.Chtimes(p, later, later)
		}, "changed during the upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate(t, false)
			c, sl := newClient(t, g.url, nil)
			path := bigFile(t, bigSize)
			done := submitAsync(c, context.Background(), path)
			<-g.reached
			if err := tt.change(path); err != nil {
				t.Fatal(err)
			}
			close(g.proceed)
			err := <-done
			checkMessage(t, err, path+": "+tt.want, "nothing was submitted")
			var fe *submit.FileError
			if !errors.As(err, &fe) || submit.OutcomeOf(err) != store.KindFailed {
				t.Errorf("error %T, outcome %s; want a *FileError, failed", err, submit.OutcomeOf(err))
			}
			if err := <-g.rest; err == nil {
				t.Error("the server received a whole body from a changed file")
			}
			if len(sl.waits()) != 0 {
				t.Errorf("retried: %v", sl.waits())
			}
		})
	}
}

// TestInterrupted: cancelling before the upload is complete means no job;
// cancelling after means the outcome is unknown.
func TestInterrupted(t *testing.T) {
	t.Run("during the upload", func(t *testing.T) {
		g := newGate(t, false)
		c, _ := newClient(t, g.url, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := submitAsync(c, ctx, bigFile(t, bigSize))
		<-g.reached
		cancel()
		err := <-done
		checkMessage(t, err, "interrupted at", "nothing was submitted")
		if submit.OutcomeOf(err) != store.KindInterrupted || !errors.Is(err, context.Canceled) {
			t.Errorf("outcome %s for %v", submit.OutcomeOf(err), err)
		}
	})
	t.Run("after the upload", func(t *testing.T) {
		g := newGate(t, true)
		c, _ := newClient(t, g.url, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := submitAsync(c, ctx, fixture("hello.flac"))
		<-g.reached
		cancel()
		err := <-done
		checkMessage(t, err, "interrupted while waiting for the reply", "resubmitting may create a duplicate")
		if submit.OutcomeOf(err) != store.KindUnknown {
			t.Errorf("outcome %s for %v", submit.OutcomeOf(err), err)
		}
	})
	t.Run("while waiting to retry", func(t *testing.T) {
		fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:429")})
		ctx, cancel := context.WithCancel(context.Background())
		c, _ := newClient(t, fake.URL(), func(cfg *submit.Config) {
			cfg.Sleep = func(ctx context.Context, d time.Duration) error {
				cancel()
				return ctx.Err()
			}
		})
		_, err := c.Submit(ctx, fixture("hello.wav"), submit.Options{}, nil)
		if submit.OutcomeOf(err) != store.KindInterrupted || fake.SubmitCount() != 1 {
			t.Errorf("outcome %s after %d requests: %v", submit.OutcomeOf(err), fake.SubmitCount(), err)
		}
	})
}

// TestBigUpload streams a file larger than any buffer: the fake gets every
// byte, with the Content-Length announced up front, and progress climbs to
// the total.
func TestBigUpload(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	path := bigFile(t, bigSize)
	var progress progressLog
	if _, err := c.Submit(context.Background(), path, submit.Options{}, progress.add); err != nil {
		t.Fatal(err)
	}
	r := fake.Requests()[0]
	if r.FileSize != bigSize || r.FileSHA256 != fileSHA256(t, path) || r.BodyRead != r.ContentLength || len(r.TransferEncoding) != 0 {
		t.Errorf("fake got %d bytes (sha256 %s) of Content-Length %d, transfer encoding %q", r.FileSize, r.FileSHA256, r.ContentLength, r.TransferEncoding)
	}
	if r.Header.Get("Expect") != "100-continue" {
		t.Errorf("a big upload did not ask before sending: Expect %q", r.Header.Get("Expect"))
	}
	var last int64
	for _, p := range progress.all() {
		if p.Sent < last || p.Total != r.ContentLength || p.Attempt != 1 {
			t.Errorf("progress %+v after %d", p, last)
		}
		last = p.Sent
	}
	if last != r.ContentLength {
		t.Errorf("progress ended at %d of %d", last, r.ContentLength)
	}
}

// TestConcurrentSubmits shares one client between goroutines.
func TestConcurrentSubmits(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"hello.wav", "hello.flac", "hello.mp3", "hello.ogg"}[i%4]
			_, err := c.Submit(context.Background(), fixture(name), submit.Options{}, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(fake.Jobs()); n != 16 {
		t.Errorf("%d jobs, want 16", n)
	}
}

// TestNewClient: bad settings are refused without echoing the key.
func TestNewClient(t *testing.T) {
	for _, cfg := range []submit.Config{
		{APIKey: ""},
		{APIKey: "  "},
		{APIKey: canary + "\nX"},
		{APIKey: "has space " + canary},
		{APIKey: canary, BaseURL: "ftp://example.com"},
		{APIKey: canary, BaseURL: "example.com"},
		{APIKey: canary, BaseURL: "https://example.com/?key=" + canary},
		{APIKey: canary, BaseURL: "https://user:" + canary + "@example.com"},
	} {
		_, err := submit.NewClient(cfg)
		if err == nil {
			t.Errorf("%+v accepted", cfg)
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("key in %q", err)
		}
	}
	c, err := submit.NewClient(submit.Config{APIKey: " " + canary + "\n"})
	if err != nil || c.BaseURL() != submit.DefaultBaseURL {
		t.Errorf("defaults: %v, %v", c, err)
	}
	c, err = submit.NewClient(submit.Config{APIKey: canary, BaseURL: "http://127.0.0.1:9/api/"})
	if err != nil || c.BaseURL() != "http://127.0.0.1:9/api" {
		t.Errorf("base path: %v", err)
	}
}
