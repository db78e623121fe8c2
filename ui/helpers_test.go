package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ui")

// parallel is how many of these tests run at once unless -parallel says
// otherwise. They spend their time waiting for the program to settle (its
// timers, the fake, the history's reads), not computing: a run uses about a
// fifth of one core, so more than the number of cores (go test's default)
// run well.
const parallel = 6

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", fmt.Sprint(parallel))
	}
	time.Local = time.UTC // goldens show times
	// The key is in the environment too, as for a user who exports it: code
	// that reads it from there must not show or log it either.
	os.Setenv("FIREWORKS_API_KEY", testKey)
	os.Exit(m.Run())
}

// testKey is a canary: it must never be shown or written anywhere.
const testKey = "fw-CANARY-ui-7c41d2"

// env is a Model's surroundings for a test: a history in a temp folder, a
// fake API, and a folder of audio files.
type env struct {
	t     *testing.T
	dir   string
	audio string
	st    *store.Store
	fake  *fakeapi.Server
	deps  Deps
	opts  Options // with the test's debug log (see debugOptions)
}

func newEnv(t *testing.T, cfg fakeapi.Config) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, audio: filepath.Join(dir, "audio"), opts: debugOptions(t)}
	if err := os.MkdirAll(e.audio, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hello.flac", "hello.wav", "hello.mp3"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "audio", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(e.audio, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.audio, "notes.txt"), []byte("not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(e.audio, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "state", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	e.fake = fakeapi.StartTest(t, cfg)
	e.deps = Deps{
		Store: st,
		Client: func(k string) (*submit.Client, error) {
			return submit.NewClient(submit.Config{BaseURL: e.fake.URL(), APIKey: k,
				Retry: submit.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxTotal: time.Second}})
		},
		APIKey:    testKey,
		BaseURL:   "https://audio-batch.api.fireworks.ai",
		StartDir:  e.audio,
		PollFirst: 20 * time.Millisecond,
		PollMax:   50 * time.Millisecond,
	}
	return e
}

// driver runs a Model synchronously: it calls Update and runs the commands
// it returns, feeding their messages back, the way Bubble Tea would. A
// command that has not returned within wait (a timer, a blocked reader) is
// dropped, so tests never wait for tickers.
type driver struct {
	t       *testing.T
	m       *Model
	wait    time.Duration
	pending []chan tea.Msg // commands still running; pump delivers what they return
	quit    bool           // a tea.Quit came back: the program would end
}

func drive(t *testing.T, m *Model) *driver {
	if m.debug == nil {
		t.Fatal("drive: the model has no debug log; build it with New(e.deps, e.opts)")
	}
	d := &driver{t: t, m: m, wait: 100 * time.Millisecond}
	t.Cleanup(func() { noKey(t, "the last screen", d.m.View().Content) })
	d.run(m.Init())
	return d
}

func (d *driver) send(msgs ...tea.Msg) {
	d.t.Helper()
	queue := append([]tea.Msg(nil), msgs...)
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 2000 {
			d.t.Fatal("driver: more than 2000 messages from one send")
		}
		msg := queue[0]
		queue = queue[1:]
		if msg == nil {
			continue
		}
		if _, ok := msg.(tea.QuitMsg); ok {
			d.quit = true
			continue
		}
		if cmds, ok := commands(msg); ok {
			for _, c := range cmds {
				queue = append(queue, d.exec(c)...)
			}
			continue
		}
		_, cmd := d.m.Update(msg)
		queue = append(queue, d.exec(cmd)...)
	}
}

func (d *driver) run(cmd tea.Cmd) { d.send(d.exec(cmd)...) }

// commands unpacks tea.Batch and tea.Sequence messages.
func commands(msg tea.Msg) ([]tea.Cmd, bool) {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		out := make([]tea.Cmd, v.Len())
		for i := range out {
			out[i] = v.Index(i).Interface().(tea.Cmd)
		}
		return out, true
	}
	return nil, false
}

func (d *driver) exec(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		return []tea.Msg{msg}
	case <-time.After(d.wait):
		d.pending = append(d.pending, ch)
		return nil
	}
}

func (d *driver) size(w, h int) { d.send(tea.WindowSizeMsg{Width: w, Height: h}) }

func (d *driver) key(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

// keyMsg turns "enter", "ctrl+s", "space", "a" into a key press.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the plain text of the current view. Every screen a test reads
// is checked for the API key.
func (d *driver) screen() string {
	d.t.Helper()
	scr := ansi.Strip(d.m.View().Content)
	noKey(d.t, "the screen", scr)
	return scr
}

// waitFor sends nothing but lets background work (uploads, checks) arrive,
// until cond holds on the screen.
func (d *driver) waitFor(what string, timeout time.Duration, cond func(string) bool) string {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := d.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %s for %s; screen:\n%s", timeout, what, scr)
		}
		d.pump()
	}
}

// pump delivers what slow commands (uploads, timers, status checks) have
// returned since, as Bubble Tea would.
func (d *driver) pump() {
	time.Sleep(10 * time.Millisecond)
	var ready []tea.Msg
	keep := d.pending[:0]
	for _, ch := range d.pending {
		select {
		case msg := <-ch:
			ready = append(ready, msg)
		default:
			keep = append(keep, ch)
		}
	}
	d.pending = keep
	d.send(ready...)
}

// checkFits fails if any line of v is wider than w or there are more than h.
func checkFits(t *testing.T, where string, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if v == "" {
		lines = nil
	}
	if len(lines) > h {
		t.Fatalf("%s at %d×%d: %d lines", where, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Fatalf("%s at %d×%d: line %d is %d wide: %q", where, w, h, i+1, lw, ansi.Strip(l))
		}
	}
}
