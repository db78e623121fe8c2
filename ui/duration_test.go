package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// gatedMeasure is a MeasureFiles that reads nothing until the test opens
// its gate, and records what it was asked to read, batch by batch.
type gatedMeasure struct {
	gate chan struct{}
	mu   sync.Mutex
	asks [][]string
}

func newGatedMeasure(t *testing.T) *gatedMeasure {
	g := &gatedMeasure{gate: make(chan struct{})}
	t.Cleanup(g.open) // no command is left waiting after the test
	return g
}

func (g *gatedMeasure) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.gate:
	default:
		close(g.gate)
	}
}

func (g *gatedMeasure) measure(ctx context.Context, paths []string, workers int) []audio.Measured {
	g.mu.Lock()
	g.asks = append(g.asks, paths)
	g.mu.Unlock()
	<-g.gate
	return audio.ProbeFiles(ctx, paths, workers)
}

func (g *gatedMeasure) batches() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][]string(nil), g.asks...)
}

// rowOf is the line of the screen that names file.
func rowOf(scr, file string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, " "+file+" ") {
			return l
		}
	}
	return ""
}

// Files draws names and sizes as soon as the folder is read, never waiting
// for the lengths, which fill in as they are read; the marked total follows.
func TestFilesLengthsFillInWithoutWaiting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	g := newGatedMeasure(t)
	e.deps.MeasureFiles = g.measure
	d := drive(t, New(e.deps, e.opts))
	d.size(80, 24)
	// The folder is listed while no length can be read.
	scr := d.screen()
	for file, size := range map[string]string{"hello.flac": "16.7 KiB", "hello.mp3": "1.8 KiB", "hello.wav": "26.7 KiB"} {
		if row := rowOf(scr, file); !regexp.MustCompile(`…\s+` + regexp.QuoteMeta(size) + `$`).MatchString(row) {
			t.Errorf("%s: row %q, want its size and an ellipsis for its length", file, row)
		}
	}
	d.key("down", "space") // hello.flac
	if scr := d.screen(); !strings.Contains(scr, "1 marked · 16.7 KiB · …") {
		t.Errorf("the title does not say the marked file's length is being read:\n%s", scr)
	}
	if b := g.batches(); len(b) != 1 || len(b[0]) != 3 {
		t.Fatalf("batches asked for: %v, want one of the 3 audio files", b)
	}

	g.open()
	scr = d.waitFor("the lengths", 5*time.Second, func(s string) bool { return !strings.Contains(rowOf(s, "hello.wav"), "…") })
	for _, file := range []string{"hello.flac", "hello.mp3", "hello.wav"} {
		if row := rowOf(scr, file); !regexp.MustCompile(`\s2 s\s+[0-9.]+ KiB$`).MatchString(row) {
			t.Errorf("%s: row %q, want a length of 2 s", file, row)
		}
	}
	if !strings.Contains(scr, "1 marked · 16.7 KiB · 2 s") {
		t.Errorf("the title does not give the marked total:\n%s", scr)
	}
	d.key("space") // hello.mp3
	if scr := d.screen(); !strings.Contains(scr, "2 marked · 18.5 KiB · 3 s") {
		t.Errorf("the title does not add the second file:\n%s", scr)
	}
	// Listing the folder again (up, and back in) reads nothing again: the
	// files have not changed.
	d.key("left", "enter")
	if scr := d.screen(); !strings.Contains(rowOf(scr, "hello.wav"), " 2 s ") {
		t.Errorf("back in the folder:\n%s", scr)
	}
	if b := g.batches(); len(b) != 1 {
		t.Errorf("the lengths were read again: %v", b)
	}
}

// In a big folder the lengths are read a batch at a time, the rows on
// screen first, each file once; an unreadable length is "?", and totals
// with one read "≥".
func TestFilesLengthsRowsOnScreenFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	big := filepath.Join(e.dir, "big")
	if err := os.Mkdir(big, 0o755); err != nil {
		t.Fatal(err)
	}
	mp3, err := os.ReadFile(filepath.Join("..", "testdata", "audio", "hello.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		data := mp3
		if i == 0 {
			data = []byte("RIFF\x00\x00\x00\x00WAVE") // audio whose headers say nothing
		}
		if err := os.WriteFile(filepath.Join(big, fmt.Sprintf("rec-%03d.mp3", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.deps.StartDir = big
	g := newGatedMeasure(t)
	e.deps.MeasureFiles = g.measure
	d := drive(t, New(e.deps, e.opts))
	d.size(80, 24)
	d.key("G") // to the bottom while the first batch is being read
	g.open()
	scr := d.waitFor("every length", 10*time.Second, func(string) bool {
		b := g.batches()
		return len(b) == (n+lengthBatch-1)/lengthBatch && !d.m.files.lengths.measuring
	})
	batches := g.batches()
	if first := batches[0]; filepath.Base(first[0]) != "rec-000.mp3" {
		t.Errorf("the first batch starts at %s, not the top of the listing", filepath.Base(first[0]))
	}
	// The second batch was chosen with the cursor at the bottom: the rows
	// on screen then come first.
	if second := filepath.Base(batches[1][0]); second != fmt.Sprintf("rec-%03d.mp3", n-d.m.files.listHeight()) {
		t.Errorf("the second batch starts at %s, not the top row on screen", second)
	}
	seen := map[string]int{}
	for _, b := range batches {
		for _, p := range b {
			seen[p]++
		}
	}
	if len(seen) != n {
		t.Errorf("%d files measured, want %d", len(seen), n)
	}
	for p, times := range seen {
		if times != 1 {
			t.Errorf("%s measured %d times", filepath.Base(p), times)
		}
	}
	if row := rowOf(scr, "rec-199.mp3"); !strings.Contains(row, " 2 s ") {
		t.Errorf("the last row: %q", row)
	}
	d.key("g", "a")
	scr = d.screen()
	if row := rowOf(scr, "rec-000.mp3"); !regexp.MustCompile(`\s\?\s+12 B$`).MatchString(row) {
		t.Errorf("a file whose headers say nothing: %q", row)
	}
	// 199 × 1.73 s (hello.mp3), and one unknown.
	if !strings.Contains(scr, "200 marked · 363.8 KiB · ≥ 5 min 45 s") {
		t.Errorf("the marked total:\n%s", scr)
	}
}

// The form says how much audio it sends and what that is expected to cost
// for the chosen endpoint, labelled as an estimate with where the price
// comes from, and follows the endpoint; it never holds a submission up.
func TestFormEstimate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	g := newGatedMeasure(t)
	e.deps.MeasureFiles = g.measure
	e.deps.StartFiles = []string{filepath.Join(e.audio, "hello.flac"), filepath.Join(e.audio, "hello.wav")}
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	if scr := d.screen(); !strings.Contains(scr, "2 files · measuring…") {
		t.Errorf("the form does not say it is measuring:\n%s", scr)
	}
	g.open()
	scr := d.waitFor("the estimate", 5*time.Second, func(s string) bool { return strings.Contains(s, "of audio") })
	contains := func(scr string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(scr, w) {
				t.Errorf("the form does not say %q:\n%s", w, scr)
			}
		}
	}
	// 1.70475 s twice at $0.0009 a minute.
	contains(scr, "2 files · 43.4 KiB · 3 s of audio · estimate ≈ $0.000051",
		"whisper-v3 at $0.0009 per audio minute (fireworks.ai/pricing list price of 2026-11-30, less 40% for",
		"batch); not included: diarization surcharge, taxes")
	d.key("tab", "right") // the endpoint: audio-turbo
	contains(d.screen(), "estimate ≈ $0.000031", "whisper-v3-turbo at $0.00054 per audio minute")
}

// A price the config file gets wrong leaves the form without an estimate,
// saying why, and submitting all the same; so does a length still being
// read.
func TestFormEstimateNeverBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	g := newGatedMeasure(t) // never opened before the submission
	e.deps.MeasureFiles = g.measure
	e.deps.PricesProblem = "config file /c/config.json: prices.whisper-v3: -1 is not a price"
	e.deps.StartFiles = []string{filepath.Join(e.audio, "hello.flac")}
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	if scr := d.screen(); !strings.Contains(scr, "1 file · measuring…") {
		t.Errorf("the form does not say it is measuring:\n%s", scr)
	}
	d.key("ctrl+s")
	d.waitFor("the submission", 10*time.Second, func(s string) bool { return len(e.fake.Jobs()) == 1 })
	subs := loadHistory(t, e.st)
	if len(subs) != 1 || subs[0].Outcome != store.OutcomeSubmitted || subs[0].Duration != audio.KnownLength(1705*time.Millisecond) {
		t.Fatalf("history: %+v", subs)
	}

	// With the lengths read, the problem is said in place of the basis.
	e2 := newEnv(t, fakeapi.Config{})
	e2.deps.PricesProblem = e.deps.PricesProblem
	e2.deps.StartFiles = []string{filepath.Join(e2.audio, "hello.flac")}
	d2 := drive(t, New(e2.deps, e2.opts))
	d2.size(100, 30)
	scr := d2.waitFor("the estimate line", 5*time.Second, func(s string) bool { return strings.Contains(s, "of audio") })
	if !strings.Contains(scr, "1 file · 16.7 KiB · 2 s of audio · no estimate") || !strings.Contains(scr, "prices.whisper-v3: -1 is not a price") {
		t.Errorf("a bad price:\n%s", scr)
	}
}
