package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/fwbatch/fwbatch/store"
)

// bigN is the size of the history the performance checks use.
const bigN = 100_000

// bigHistory is generated once per test binary run (through store.Append,
// so it is exactly what fwbatch writes) and copied into each caller's temp
// folder: callers own their file, and generating it does not count.
var bigHistory struct {
	once sync.Once
	data []byte
	err  error
}

// bigHistoryStore returns a store on a fresh copy of a history of bigN
// submissions, all finished (completed, failed by the server, or refused):
// nothing in it needs a background check.
func bigHistoryStore(tb testing.TB) *store.Store {
	tb.Helper()
	bigHistory.once.Do(func() { bigHistory.data, bigHistory.err = generateHistory(bigN, 0) })
	if bigHistory.err != nil {
		tb.Fatal(bigHistory.err)
	}
	return storeWith(tb, bigHistory.data)
}

// idleHistory is a history of idleN submissions of which idlePending, the
// newest, are jobs still processing, as a busy user's is.
var idleHistory struct {
	once sync.Once
	data []byte
	err  error
}

const (
	idleN       = 20_000
	idlePending = 50
)

func idleHistoryStore(tb testing.TB) *store.Store {
	tb.Helper()
	idleHistory.once.Do(func() { idleHistory.data, idleHistory.err = generateHistory(idleN, idlePending) })
	if idleHistory.err != nil {
		tb.Fatal(idleHistory.err)
	}
	return storeWith(tb, idleHistory.data)
}

// storeWith returns a store on a fresh copy of data.
func storeWith(tb testing.TB, data []byte) *store.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "state", "history.jsonl")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// Query words and how much of the generated history they match.
const (
	rareWord   = "interview" // 1 in 100 file names
	commonWord = "meeting"   // 2 in 3 file names
)

// generateHistory writes n submissions; the newest pending of them are
// submitted jobs with no status yet, which the UI checks in the background.
func generateHistory(n, pending int) ([]byte, error) {
	dir, err := os.MkdirTemp("", "fwbatch-bighistory-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		return nil, err
	}
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	formats := []string{"json", "verbose_json", "srt", "text", "vtt"}
	var evs []store.Event
	for i := range n {
		at := t0.Add(time.Duration(i) * 97 * time.Second)
		id := fmt.Sprintf("%s-%06x", at.Format("20060102T150405.000000Z"), i)
		var file string
		switch {
		case i%100 == 7:
			file = fmt.Sprintf("/home/ana/press/%s-mayor-%05d.m4a", rareWord, i)
		case i%3 != 0:
			file = fmt.Sprintf("/home/ana/recordings/%d/team-%s-%05d.flac", 2025+i/50000, commonWord, i)
		case i%2 == 0:
			file = fmt.Sprintf("/srv/audio/lectures/physics-lecture-%05d.mp3", i)
		default:
			file = fmt.Sprintf("/home/ana/calls/support-call-%05d.wav", i)
		}
		task, endpoint, model := "transcribe", "audio-prod", "whisper-v3"
		if i%5 == 0 {
			task = "translate"
		}
		if i%4 == 0 {
			endpoint, model = "audio-turbo", "whisper-v3-turbo"
		}
		mtime := at.Add(-time.Hour)
		host := func(e store.Event) store.Event { e.ID, e.Host, e.PID = id, "box", 4242; return e }
		evs = append(evs, host(store.Event{Kind: store.KindStarted, Time: at, File: file, Size: int64(1<<20 + i),
			MTime: &mtime, Task: task, Endpoint: endpoint, Model: model,
			Options: map[string]string{"response_format": formats[i%len(formats)]}}))
		if i%50 == 13 && i < n-pending {
			evs = append(evs, host(store.Event{Kind: store.KindFailed, Time: at.Add(time.Second), HTTPStatus: 400,
				Message: "HTTP 400: unsupported audio format"}))
			continue
		}
		evs = append(evs, host(store.Event{Kind: store.KindSubmitted, Time: at.Add(20 * time.Second),
			BatchID:   fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761%(1<<32), i%0xffff, i%0xfff, (i*7)%0xfff, i*104729),
			AccountID: "acct-ana", EndpointID: endpoint}))
		switch {
		case i >= n-pending:
			evs = append(evs, host(store.Event{Kind: store.KindStatus, Time: at.Add(5 * time.Minute), Status: "processing"}))
		case i%20 == 11:
			evs = append(evs, host(store.Event{Kind: store.KindStatus, Time: at.Add(5 * time.Minute),
				Status: "FAILED", Message: "audio could not be decoded"}))
		default:
			evs = append(evs, host(store.Event{Kind: store.KindStatus, Time: at.Add(5 * time.Minute),
				Status: "COMPLETED", ResultPath: "/home/ana/.local/state/fwbatch/results/" + id + ".json"}))
		}
		if len(evs) >= 30_000 {
			if err := st.Append(context.Background(), evs...); err != nil {
				return nil, err
			}
			evs = evs[:0]
		}
	}
	if err := st.Append(context.Background(), evs...); err != nil {
		return nil, err
	}
	return os.ReadFile(st.Path())
}

// bigHistoryModel returns a root model sized w×h on the History screen with
// the whole big history installed, as the program would have it once the
// load has come back. The commands Update returns (timers, checks) are not
// run: nothing in the history needs one.
func bigHistoryModel(tb testing.TB, w, h int) *Model {
	tb.Helper()
	m := New(Deps{Store: bigHistoryStore(tb), StartDir: tb.TempDir(), BaseURL: "https://audio-batch.api.fireworks.ai"}, Options{})
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	loadNow(m)
	_, cmd := m.Update(keyMsg("tab"))
	m.Update(cmd()) // gotoHistoryMsg
	_ = m.View()
	if m.page != pageHistory || len(m.history.visible) != bigN {
		tb.Fatalf("want the History screen with %d rows, got page %v with %d", bigN, m.page, len(m.history.visible))
	}
	return m
}

// loadNow reads the history as the program's commands do, in their order
// (the snapshot Files takes first, then History's rows, prepared in a
// command of their own), and has m take each. It returns the time spent in
// those commands and in Update.
func loadNow(m *Model) (commands, install time.Duration) {
	t := time.Now()
	msg := m.reader.load()
	commands += time.Since(t)
	for msg != nil {
		var next tea.Msg
		t = time.Now()
		m.Update(msg)
		install += time.Since(t)
		if snap, ok := msg.(historySnapshotMsg); ok {
			t = time.Now()
			next = snap.rows()
			commands += time.Since(t)
		}
		msg = next
	}
	return commands, install
}

// termOutput is the terminal a live program draws into: it counts the bytes
// and remembers when the last ones came.
type termOutput struct {
	mu   sync.Mutex
	n    int
	buf  bytes.Buffer
	last time.Time
}

func (o *termOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n += len(p)
	o.buf.Write(p)
	o.last = time.Now()
	return len(p), nil
}

// take returns what was written since the last take, and forgets it.
func (o *termOutput) take() (int, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, s := o.n, o.buf.String()
	o.n = 0
	o.buf.Reset()
	return n, s
}

func (o *termOutput) state() (int, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n, o.last
}

// liveUI is the real program (NewProgram) drawing into a termOutput at a
// fixed size and colour profile.
type liveUI struct {
	p       *Program
	out     *termOutput
	in      *io.PipeWriter
	done    chan error
	loaded  atomic.Bool  // the history load has reached Update
	watches atomic.Int32 // history watch ticks seen
	reads   atomic.Int32 // history refreshes that came back
	checks  atomic.Int32 // status check results seen
}

func startLiveUI(tb testing.TB, deps Deps, w, h int) *liveUI {
	tb.Helper()
	u := &liveUI{out: &termOutput{}, done: make(chan error, 1)}
	inR, inW := io.Pipe()
	u.in = inW
	count := func(_ tea.Model, msg tea.Msg) tea.Msg {
		switch msg.(type) {
		case historyLoadedMsg:
			u.loaded.Store(true)
		case watchTickMsg:
			u.watches.Add(1)
		case historyChangedMsg:
			u.reads.Add(1)
		case statusCheckedMsg:
			u.checks.Add(1)
		}
		return msg
	}
	u.p = NewProgram(context.Background(), deps, Options{}, inR, u.out,
		tea.WithWindowSize(w, h),
		tea.WithColorProfile(colorprofile.TrueColor),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}),
		tea.WithFilter(count))
	go func() {
		_, err := u.p.Run()
		u.done <- err
	}()
	tb.Cleanup(func() {
		u.p.Quit()
		inW.Close()
		select {
		case err := <-u.done:
			if err != nil {
				tb.Errorf("program: %v", err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("program did not stop")
		}
	})
	return u
}

// settle waits until something has been written and then nothing for
// quiet, and returns what was written since the last take.
func (u *liveUI) settle(tb testing.TB, quiet, timeout time.Duration) (int, string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for n, _ := u.out.state(); n == 0; n, _ = u.out.state() {
		if time.Now().After(deadline) {
			tb.Fatalf("nothing was drawn within %s", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return u.quiet(tb, quiet, time.Until(deadline))
}

// quiet waits until nothing has been written for d, and returns what was
// written since the last take.
func (u *liveUI) quiet(tb testing.TB, d, timeout time.Duration) (int, string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, last := u.out.state()
		if time.Since(last) >= d {
			return u.out.take()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the screen did not settle within %s (%d bytes written)", timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// onBigHistory starts the program on the big history and brings it to the
// History screen, drawn with its rows and settled.
func onBigHistory(tb testing.TB, deps Deps, w, h int) *liveUI {
	tb.Helper()
	u := startLiveUI(tb, deps, w, h)
	u.settle(tb, 200*time.Millisecond, 30*time.Second) // the Files screen
	u.p.Send(keyMsg("tab"))
	// The title counts the rows once they are in; the load may come back
	// before or after the page changes.
	var drawn strings.Builder
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(drawn.String(), " submissions") {
		if time.Now().After(deadline) {
			tb.Fatalf("the History rows were not drawn within 60s (history loaded: %v)", u.loaded.Load())
		}
		time.Sleep(5 * time.Millisecond)
		_, s := u.out.take()
		drawn.WriteString(s)
	}
	u.quiet(tb, 300*time.Millisecond, 30*time.Second)
	return u
}

func bigHistoryDeps(tb testing.TB) Deps {
	return Deps{Store: bigHistoryStore(tb), StartDir: tb.TempDir(), BaseURL: "https://audio-batch.api.fireworks.ai"}
}
