package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// sampleHistory is one submission in each state the History shows.
func sampleHistory(t *testing.T, e *env) []store.Submission {
	t.Helper()
	ct, body := fakeapi.Render("transcribe", map[string]string{"model": "whisper-v3", "response_format": "verbose_json", "diarize": "true", "timestamp_granularities": "word,segment"})
	_ = ct
	// A fixed path: it is shown on the Details screen, whose golden must not
	// carry a random temp folder.
	result := filepath.Join(os.TempDir(), "fwbatch-ui-golden", "results", "done.json")
	if err := os.MkdirAll(filepath.Dir(result), 0o700); err != nil {
		t.Fatal(err)
	}
	// Tests run in parallel (and other test processes may too): write the
	// shared file beside and rename it, so no reader sees it half written.
	tmp, err := os.CreateTemp(filepath.Dir(result), "done-*.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.WriteString(body); err != nil {
		t.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), result); err != nil {
		t.Fatal(err)
	}
	sub := func(i int, file string, outcome store.Outcome) store.Submission {
		return store.Submission{
			ID: fmt.Sprintf("20261120T09%02d00.000000Z-00000%d", i, i), Started: t0.Add(time.Duration(i) * time.Minute),
			Updated: t0.Add(time.Duration(i) * time.Minute), Host: "testhost", PID: 4242,
			File: filepath.Join("/recordings", file), Size: int64(1000 * (i + 1)), Task: "transcribe",
			Endpoint: "audio-prod", Model: "whisper-v3", Options: map[string]string{"response_format": "json"},
			Outcome: outcome,
		}
	}
	done := sub(1, "interview.flac", store.OutcomeSubmitted)
	done.Duration = audio.KnownLength(time.Hour + 2*time.Minute + 5*time.Second)
	done.BatchID, done.AccountID = "3f2b8c1e-6a4d-4e7b-9c0a-5d1e2f3a4b5c", "acct"
	done.Options = map[string]string{"response_format": "verbose_json", "diarize": "true", "timestamp_granularities": "word,segment"}
	done.ServerStatus, done.StatusTime, done.ResultPath = "completed", t0.Add(time.Hour), result
	proc := sub(2, "lecture.mp3", store.OutcomeSubmitted)
	proc.BatchID, proc.AccountID = "7d9e0f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6", "acct"
	proc.Endpoint, proc.Model, proc.Task = "audio-turbo", "whisper-v3-turbo", "translate"
	proc.Options = map[string]string{"response_format": "srt"}
	proc.ServerStatus = "processing"
	proc.Duration = audio.KnownLength(42*time.Minute + 10*time.Second)
	failed := sub(3, "memo.wav", store.OutcomeFailed)
	failed.HTTPStatus, failed.Message = 401, "HTTP 401: invalid API key — check FIREWORKS_API_KEY"
	unknown := sub(4, "call.m4a", store.OutcomeUnknown)
	unknown.HTTPStatus, unknown.Message = 500, "HTTP 500 after the upload: a job may exist — resubmitting may create a duplicate"
	torn := sub(5, "podcast.ogg", store.OutcomeUploading)
	torn.PID = 999999
	hidden := sub(6, "secret.flac", store.OutcomeFailed)
	hidden.Hidden = true
	return []store.Submission{done, proc, failed, unknown, torn, hidden}
}

// onPage returns a driver showing the named screen with fixed content.
func onPage(t *testing.T, name string, opts ...Options) (*driver, *env) {
	t.Helper()
	// The sample's jobs are not the fake's: a background check, due at a
	// random moment of the first seconds, would find one not found and say
	// so on screen. A failed background check is silent.
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Status: map[int]fakeapi.Fault{0: {Kind: fakeapi.ServerError}}}})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	if name == "form" {
		e.deps.StartFiles = []string{filepath.Join(e.audio, "hello.flac"), filepath.Join(e.audio, "hello.wav")}
	}
	o := e.opts // with the test's debug log
	if len(opts) > 0 {
		o.Plain, o.NoColor = opts[0].Plain, opts[0].NoColor
	}
	m := New(e.deps, o)
	d := drive(t, m)
	d.size(80, 24)
	hist := sampleHistory(t, e)
	if name != "submit" {
		// The fake holds none of these jobs: a background check of one
		// would put its 404 on the screen at a random moment. Tracked
		// already, they are not checked for an hour.
		for _, s := range hist {
			m.polls.next[s.ID] = time.Now().Add(time.Hour)
		}
		d.send(historyLoadedMsg{subs: hist})
	}
	switch name {
	case "files":
		d.key("down", "space")
	case "form":
	case "submit":
		// A frozen clock for the countdown and rates on screen. (Only here:
		// background checks of pending jobs never come due on a frozen
		// clock, and the Submitting page is shown without a history.)
		m.sh.now = func() time.Time { return t0.Add(2 * time.Hour) }
		m.uploads.items = []*upload{
			{id: "a", file: "/r/interview.flac", total: 50 << 20, sent: 20 << 20, rate: 4 << 20, started: true},
			{id: "b", file: "/r/lecture.mp3", total: 10 << 20, retryAt: t0.Add(2*time.Hour + 7*time.Second), retryReason: "HTTP 429", started: true},
			{id: "c", file: "/r/memo.wav", total: 3 << 20, sent: 3 << 20, done: true, outcome: store.KindSubmitted, batchID: "3f2b8c1e-6a4d-4e7b-9c0a-5d1e2f3a4b5c", started: true},
			{id: "e", file: "/r/standup.wav", total: 2 << 20, sent: 2 << 20, allSent: true, started: true},
			{id: "d", file: "/r/call.m4a", total: 8 << 20},
		}
		for _, u := range m.uploads.items {
			m.uploads.byID[u.id] = u
		}
		m.setPage(pageSubmit)
	case "history", "help":
		m.setPage(pageHistory)
		if name == "help" {
			d.key("?")
		}
	case "details":
		m.setPage(pageHistory)
		m.history.selectID(hist[0].ID)
		d.key("enter")
		d.waitFor("the transcript", 5*time.Second, func(s string) bool { return strings.Contains(s, "SPEAKER_00") })
	case "key":
		m.apiKey = ""
		d.send(submitFormMsg{files: []string{filepath.Join(e.audio, "hello.flac")}})
		for _, r := range "fw-abc" {
			d.key(string(r))
		}
	case "small":
	default:
		t.Fatalf("no page %q", name)
	}
	return d, e
}

var pages = []string{"files", "form", "submit", "history", "help", "details", "key"}

func TestScreensGolden(t *testing.T) {
	t.Parallel()
	for _, name := range pages {
		for _, sz := range [][2]int{{60, 16}, {80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s-%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				d, e := onPage(t, name)
				d.size(sz[0], sz[1])
				got := strings.ReplaceAll(d.screen(), e.dir, "<TMP>")
				// A path cut from its start (the Files title) shows the end
				// of the random folder's name.
				got = cutTmp.ReplaceAllString(got, "…<TMP>/audio")
				got = strings.ReplaceAll(got, hostOf(e.fake.URL()), "<FAKE>")
				checkFits(t, name, d.m.View().Content, sz[0], sz[1])
				if strings.Contains(got, testKey) {
					t.Fatalf("the API key is on screen:\n%s", got)
				}
				golden(t, fmt.Sprintf("%s-%dx%d.golden", name, sz[0], sz[1]), got)
			})
		}
	}
}

var cutTmp = regexp.MustCompile(`…\S*/audio`)

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "ui", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test ./ui -update to create it)", path, err)
	}
	if got != string(want) {
		t.Fatalf("screen differs from %s (go test ./ui -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// TestEverySizeFits: from 0×0 to 300×100, on every screen, no panic, no line
// wider than the terminal, no more lines than it has.
func TestEverySizeFits(t *testing.T) {
	t.Parallel()
	widths := []int{0, 1, 2, 5, 10, 20, 40, 59, 60, 61, 79, 80, 81, 100, 119, 120, 200, 300}
	heights := []int{0, 1, 2, 5, 10, 15, 16, 17, 23, 24, 40, 60, 100}
	for _, name := range pages {
		t.Run(name, func(t *testing.T) {
			d, _ := onPage(t, name)
			for _, w := range widths {
				for _, h := range heights {
					d.send(tea.WindowSizeMsg{Width: w, Height: h})
					v := d.m.View().Content
					checkFits(t, name, v, w, h)
					want := tooSmall(w, h)
					if small := w < minWidth || h < minHeight; small && w > 0 && h > 0 && v != want {
						t.Fatalf("%s at %d×%d: want the one line %q, got %q", name, w, h, want, v)
					}
					if w >= 5 && w < minWidth && h > 0 && !strings.Contains(v, fmt.Sprintf("%d×%d", minWidth, minHeight)) {
						t.Fatalf("%s at %d×%d: the too-small line does not name the size needed: %q", name, w, h, v)
					}
				}
			}
		})
	}
}

// TestDumbTerminalIsASCII: under TERM=dumb no screen, dialog or message
// log draws a character beyond ASCII (huh's field bar, arrows, ellipses,
// box corners, separators): such terminals may not have them.
func TestDumbTerminalIsASCII(t *testing.T) {
	t.Parallel()
	for _, name := range append(pages, "dialog", "log") {
		t.Run(name, func(t *testing.T) {
			page := name
			if name == "dialog" || name == "log" {
				page = "history"
			}
			d, _ := onPage(t, page, Options{Plain: true})
			switch name {
			case "dialog":
				d.key("x")
			case "log":
				d.send(noticeMsg{notice{text: strings.Repeat("a long message that is cut on the notice line ", 4), kind: noticeWarn}})
				d.key("L")
			}
			for _, sz := range [][2]int{{60, 16}, {80, 24}, {120, 40}} {
				d.size(sz[0], sz[1])
				scr := d.screen()
				for i, r := range scr {
					if r > 0x7f {
						t.Fatalf("%s at %d×%d: %q at byte %d:\n%s", name, sz[0], sz[1], r, i, scr)
					}
				}
				checkFits(t, name, d.m.View().Content, sz[0], sz[1])
			}
		})
	}
}
