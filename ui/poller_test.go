package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
)

// TestPollerDoesNotSpinWhileChecksAreBusy: with every check slot taken and
// more jobs due, no timer is set (the next result reschedules), so the UI
// never spins on a 10 ms tick.
func TestPollerDoesNotSpinWhileChecksAreBusy(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := newPoller(time.Second, time.Minute)
	for i := range maxChecks + 2 {
		s := &store.Submission{ID: string(rune('a' + i)), Outcome: store.OutcomeSubmitted, BatchID: "b", AccountID: "a"}
		p.track(s, now.Add(-time.Hour), false)
	}
	due := p.due(now)
	if len(due) != maxChecks {
		t.Fatalf("%d due, want %d", len(due), maxChecks)
	}
	for _, id := range due {
		p.running[id] = true
	}
	if cmd := p.schedule(now); cmd != nil {
		t.Fatal("a timer was set while every check slot is busy")
	}
	delete(p.running, due[0])
	p.checked(due[0], now)
	if cmd := p.schedule(now); cmd == nil {
		t.Fatal("no timer once a slot is free and jobs are due")
	}
}

// rateOfSamples returns a function that gives a new upload a sample of
// sent bytes d after its start and returns the rate it then shows.
func rateOfSamples() func(d time.Duration, sent int64) float64 {
	start := time.Now()
	u := &upload{tries: start}
	return func(d time.Duration, sent int64) float64 {
		u.samples = append(u.samples, sample{start.Add(d), sent})
		return u.measure(start.Add(d))
	}
}

// TestRateIgnoresTheFirstBurst: the socket buffers take the first
// megabytes at once; the rate shown is the steady one after that.
func TestRateIgnoresTheFirstBurst(t *testing.T) {
	t.Parallel()
	add := rateOfSamples()
	if r := add(100*time.Millisecond, 8<<20); r != 0 {
		t.Fatalf("a rate after 100 ms: %v", r)
	}
	var r float64
	for i := 6; i <= 30; i++ { // 1 MiB/s from 0.6 s on
		r = add(time.Duration(i)*100*time.Millisecond, 8<<20+int64(i-5)<<20/10)
	}
	if r < 0.95*(1<<20) || r > 1.05*(1<<20) {
		t.Fatalf("rate %.0f B/s, want about 1 MiB/s", r)
	}
}

// TestRateSpansJumps: a slow server reads the body in jumps seconds apart
// (1.3 MiB every 5 or 6 s here); a rate shows from the first jump after
// the burst on, and is that of the jumps.
func TestRateSpansJumps(t *testing.T) {
	t.Parallel()
	add := rateOfSamples()
	const jump = 13 << 20 / 10
	if r := add(50*time.Millisecond, jump); r != 0 {
		t.Fatalf("a rate from the burst alone: %v", r)
	}
	// The jumps come 4.95 to 6 s apart: the rate is between.
	lo, hi := 0.95*jump/6, 1.05*jump/4.95
	for i, at := range []time.Duration{5 * time.Second, 11 * time.Second, 16 * time.Second, 22 * time.Second} {
		if r := add(at, int64(i+2)*jump); r < lo || r > hi {
			t.Fatalf("at %s: rate %.0f B/s, want %.0f to %.0f", at, r, lo, hi)
		}
	}
}

// TestPercentNeverRoundsUpTo100: 100% is shown only when every byte is sent.
func TestPercentNeverRoundsUpTo100(t *testing.T) {
	t.Parallel()
	const total = 11 << 20
	if got := stats(total*996/1000, total, 0); !strings.HasPrefix(got, " 99%") {
		t.Fatalf("99.6%% sent shows %q", got)
	}
	if got := stats(total, total, 0); !strings.HasPrefix(got, "100%") {
		t.Fatalf("all sent shows %q", got)
	}
}

// TestPollerLeavesNotFoundAlone: a job recorded as not found (a 404, no
// status) is not tracked, whether seen at startup or later; one the server
// reported a status for again is.
func TestPollerLeavesNotFoundAlone(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := newPoller(time.Second, time.Minute)
	gone := &store.Submission{ID: "gone", Outcome: store.OutcomeSubmitted, BatchID: "b", AccountID: "a", StatusHTTPStatus: 404}
	p.track(gone, now, true)
	p.track(gone, now, false)
	if len(p.next) != 0 {
		t.Fatal("a job that is not found is checked in the background")
	}
	back := *gone
	back.StatusHTTPStatus, back.ServerStatus = 0, "processing"
	p.track(&back, now, false)
	if _, ok := p.next["gone"]; !ok {
		t.Fatal("a job found again is not checked")
	}
}

// TestStatusWords: every state has a glyph and a word; not found too, and
// an unknown outcome whose job was found shows the job's state.
func TestStatusWords(t *testing.T) {
	t.Parallel()
	unknownFound := store.Submission{Outcome: store.OutcomeUnknown, BatchID: "b", AccountID: "a", ServerStatus: "processing"}
	for _, tt := range []struct {
		sub    store.Submission
		glyphs Glyphs
		want   string
	}{
		{store.Submission{Outcome: store.OutcomeSubmitted, BatchID: "b", AccountID: "a", StatusHTTPStatus: 404}, unicodeGlyphs, "∅ not found"},
		{store.Submission{Outcome: store.OutcomeSubmitted, BatchID: "b", AccountID: "a", StatusHTTPStatus: 404}, asciiGlyphs, "- not found"},
		{store.Submission{Outcome: store.OutcomeUnknown, BatchID: "b", AccountID: "a"}, unicodeGlyphs, "? unknown"},
		{unknownFound, unicodeGlyphs, "◌ processing"},
		{store.Submission{Outcome: store.OutcomeUnknown}, unicodeGlyphs, "? unknown"},
	} {
		if got, _ := statusOf(tt.glyphs, &tt.sub, rowState{}); got != tt.want {
			t.Errorf("statusOf(%+v) = %q, want %q", tt.sub, got, tt.want)
		}
	}
}
