package submit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// canary is the API key of every test: it must never show up in an error,
// a progress report or a message.
const canary = "fw_CANARY_7d1e4b0c9a2f"

func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 && os.Getenv("FWBATCH_PERM_FILE") == "" {
		if err := noLeaks(before); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// noLeaks waits a little for goroutines to wind down (closed connections
// end their goroutines asynchronously), then reports any left over.
func noLeaks(before int) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return nil
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			return fmt.Errorf("goroutine leak: %d goroutines before the tests, %d after:\n%s", before, n, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sleeper records the waits between retries instead of sleeping.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// startFake starts a fake that wants the canary key.
func startFake(t *testing.T, cfg fakeapi.Config) *fakeapi.Server {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = canary
	}
	return fakeapi.StartTest(t, cfg)
}

func faults(t *testing.T, spec string) fakeapi.Faults {
	t.Helper()
	f, err := fakeapi.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newClient returns a client of baseURL with the canary key, fast retries
// whose waits are recorded, and cfg's other settings.
func newClient(t *testing.T, baseURL string, mod func(*submit.Config)) (*submit.Client, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	cfg := submit.Config{
		BaseURL: baseURL,
		APIKey:  canary,
		Sleep:   sl.sleep,
		Retry:   submit.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Minute, MaxTotal: time.Hour},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := submit.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, sl
}

func fixture(name string) string { return filepath.Join("..", "testdata", "audio", name) }

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// bigFile makes a sparse file of size bytes that starts like a WAV file:
// big enough that the kernel's socket buffers cannot swallow it whole, so
// a server that stops reading really stops the upload.
func bigFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("RIFF\x24\x00\x00\x00WAVEfmt "); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

const bigSize = 32 << 20

// checkMessage asserts that err's message is one line, free of the key,
// and holds every want.
func checkMessage(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one saying %q", want)
	}
	msg := err.Error()
	if strings.Contains(strings.ToLower(msg), strings.ToLower(canary)) {
		t.Errorf("the API key leaked into the error: %s", msg)
	}
	if strings.ContainsAny(msg, "\r\n") || submit.Explain(err) != msg {
		t.Errorf("message is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
}

// progressLog collects progress reports.
type progressLog struct {
	mu sync.Mutex
	ps []submit.Progress
}

func (p *progressLog) add(pr submit.Progress) {
	p.mu.Lock()
	p.ps = append(p.ps, pr)
	p.mu.Unlock()
}

func (p *progressLog) all() []submit.Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]submit.Progress(nil), p.ps...)
}
