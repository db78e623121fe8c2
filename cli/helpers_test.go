package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// canary is the API key of every test. It must never show up in stdout,
// stderr, the history, the results folder, the debug log or any file a
// command writes.
const canary = "fw-CANARY-5f3e9a"

// sleeps records the client's waits between retries instead of sleeping.
var sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func TestMain(m *testing.M) {
	// The key is in the process's environment too (the commands read the
	// harness's): code that reads it from there must not leak it either.
	os.Setenv("FIREWORKS_API_KEY", canary)
	clientConfig = func(c *submit.Config) {
		c.Retry = submit.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Minute, MaxTotal: time.Hour}
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			sleeps.mu.Lock()
			sleeps.ds = append(sleeps.ds, d)
			sleeps.mu.Unlock()
			return ctx.Err()
		}
		c.ResponseHeaderTimeout = time.Second // "hang" ends after this
		c.StatusHeaderTimeout = time.Second   // and for status checks
		c.ReplyIdleTimeout = time.Second      // "stall-reply" ends after this
		c.StallTimeout = 10 * time.Second
	}
	os.Exit(m.Run())
}

// takeSleeps returns the retry waits since the last call.
func takeSleeps() []time.Duration {
	sleeps.mu.Lock()
	defer sleeps.mu.Unlock()
	ds := sleeps.ds
	sleeps.ds = nil
	return ds
}

// harness runs fwbatch commands in-process against a fake API, with the
// canary key, a history, config and debug log in a temp folder.
type harness struct {
	t     *testing.T
	dir   string
	fake  *fakeapi.Server
	env   map[string]string
	hist  string
	debug string
}

func newHarness(t *testing.T, cfg fakeapi.Config) *harness {
	return newWrappedHarness(t, cfg, nil)
}

// newWrappedHarness serves the fake through wrap, to watch requests as
// they arrive.
func newWrappedHarness(t *testing.T, cfg fakeapi.Config, wrap func(http.Handler) http.Handler) *harness {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = canary
	}
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, hist: filepath.Join(dir, "state", "history.jsonl"), debug: filepath.Join(dir, "debug.log")}
	var url string
	if wrap == nil {
		h.fake = fakeapi.StartTest(t, cfg)
		url = h.fake.URL()
	} else {
		h.fake = fakeapi.New(cfg)
		srv := httptest.NewServer(wrap(h.fake))
		t.Cleanup(func() { srv.Close(); h.fake.Close() })
		url = srv.URL
	}
	h.env = map[string]string{
		"FIREWORKS_API_KEY":        canary,
		"FIREWORKS_BATCH_BASE_URL": url,
		"FWBATCH_HISTORY":          h.hist,
		"XDG_CONFIG_HOME":          filepath.Join(dir, "config"),
		"XDG_STATE_HOME":           filepath.Join(dir, "xdg-state"),
		"HOME":                     filepath.Join(dir, "home"),
		"FWBATCH_POLL_INTERVAL":    "10ms",
		"TERM":                     "xterm-256color",
	}
	takeSleeps()
	t.Cleanup(h.checkNoCanary)
	return h
}

type result struct {
	code        int
	out, errOut string
	hung        string // set when the command did not end within commandDeadline
}

// commandDeadline bounds every command a test runs: a command that hangs
// (a wait that never ends, a stalled upload nobody notices) fails its test
// in seconds, naming the command, instead of at go test's timeout. Every
// command of these tests ends in well under a second on a quiet machine.
const commandDeadline = 20 * time.Second

// run runs `fwbatch args...` with --debug added, and checks that the key
// shows nowhere in its output. It fails the test when the command has not
// ended within commandDeadline; call it from the test's goroutine.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	res := h.runWithin(args...)
	if res.hung != "" {
		h.t.Fatal(res.hung)
	}
	return res
}

// runWithin runs a command as run does; one that does not end within
// commandDeadline is left running and reported in result.hung.
func (h *harness) runWithin(args ...string) result {
	h.t.Helper()
	if len(args) > 0 {
		args = append([]string{args[0], "--debug", h.debug}, args[1:]...)
	}
	var out, errOut bytes.Buffer
	r := &runner{stdout: &out, stderr: &errOut, getenv: func(k string) string { return h.env[k] }}
	done := make(chan int, 1)
	go func() { done <- r.main(args) }()
	var code int
	select {
	case code = <-done:
	case <-time.After(commandDeadline):
		return result{hung: fmt.Sprintf("fwbatch %s did not end within %s; its goroutines:\n%s",
			strings.Join(args, " "), commandDeadline, fwbatchStacks())}
	}
	res := result{code: code, out: out.String(), errOut: errOut.String()}
	for _, s := range []string{res.out, res.errOut} {
		if strings.Contains(strings.ToLower(s), strings.ToLower(canary)) {
			h.t.Errorf("fwbatch %s: the API key shows in the output:\n%s", strings.Join(args, " "), s)
		}
	}
	return res
}

// fwbatchStacks is the stacks of the goroutines running fwbatch code (not
// the test framework's), to show where a hung command waits.
func fwbatchStacks() string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fwbatch/fwbatch/") && !strings.Contains(g, "fwbatchStacks") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}

// checkNoCanary looks for the key in every file the commands wrote: the
// history, the results folder, the debug log, written transcripts.
func (h *harness) checkNoCanary() {
	filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err != nil || fi.Size() > 16<<20 {
			return nil // the big sparse audio files
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(canary))) {
			h.t.Errorf("the API key is in %s", path)
		}
		return nil
	})
}

// audio copies a fixture from testdata/audio into the test's folder.
func (h *harness) audio(fixtureName, name string) string {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "audio", fixtureName))
	if err != nil {
		h.t.Fatal(err)
	}
	p := filepath.Join(h.dir, "audio", name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// bigWav makes a sparse file that starts like a WAV file: too big for the
// socket buffers, so that the faults that cut an upload short really do.
func (h *harness) bigWav(name string, size int64) string {
	h.t.Helper()
	p := filepath.Join(h.dir, "audio", name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, err := os.Create(p)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("RIFF\x24\x00\x00\x00WAVEfmt ")
	if err := f.Truncate(size); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// events reads the history file's lines as written.
func (h *harness) events() []store.Event {
	h.t.Helper()
	data, err := os.ReadFile(h.hist)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	var evs []store.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var ev store.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			h.t.Fatalf("history line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// subs loads the history with store.Load.
func (h *harness) subs() []*store.Submission {
	h.t.Helper()
	st, err := store.Open(h.hist)
	if err != nil {
		h.t.Fatal(err)
	}
	hist, err := st.Load()
	if err != nil {
		h.t.Fatal(err)
	}
	return hist.Submissions()
}

// only returns the history's one submission.
func (h *harness) only() *store.Submission {
	h.t.Helper()
	subs := h.subs()
	if len(subs) != 1 {
		h.t.Fatalf("the history holds %d submissions, want 1", len(subs))
	}
	return subs[0]
}

// kinds lists the kinds of a submission's events in file order.
func kinds(evs []store.Event, id string) []store.Kind {
	var out []store.Kind
	for _, ev := range evs {
		if ev.ID == id {
			out = append(out, ev.Kind)
		}
	}
	return out
}

// lines splits output into lines; it fails unless the output ends with a
// newline.
func lines(t *testing.T, s string) []string {
	t.Helper()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("output does not end with a newline: %q", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// oneLine checks that s is exactly one line and returns it.
func oneLine(t *testing.T, what, s string) string {
	t.Helper()
	ls := lines(t, s)
	if len(ls) != 1 {
		t.Fatalf("%s: %d lines, want 1:\n%s", what, len(ls), s)
	}
	return ls[0]
}

func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s %q does not contain %q", what, s, w)
		}
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.New()
	io.Copy(sum, f)
	return hex.EncodeToString(sum.Sum(nil))
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
