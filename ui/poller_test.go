package ui

import (
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

// TestRateIgnoresTheFirstBurst: the socket buffers take the first
// megabytes at once; the rate shown is the steady one after that.
func TestRateIgnoresTheFirstBurst(t *testing.T) {
	t.Parallel()
	start := time.Now()
	u := &upload{tries: start}
	add := func(d time.Duration, sent int64) float64 {
		u.samples = append(u.samples, sample{start.Add(d), sent})
		return u.measure(start.Add(d))
	}
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
