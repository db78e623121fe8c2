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
