package ui

import (
	"context"
	"math/rand/v2"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// maxChecks is how many status checks run at once in the background.
const maxChecks = 4

// poller schedules background status checks of pending jobs: the first soon
// after it is seen, then with doubling intervals up to a cap, until the job is
// completed (and its result saved) or failed.
type poller struct {
	first, max time.Duration
	next       map[string]time.Time
	interval   map[string]time.Duration
	running    map[string]bool
	tickAt     time.Time // when the pending pollTickMsg fires; zero if none
}

func newPoller(first, max time.Duration) *poller {
	return &poller{first: first, max: max, next: map[string]time.Time{}, interval: map[string]time.Duration{}, running: map[string]bool{}}
}

type pollTickMsg struct{ at time.Time }

// statusCheckedMsg is the result of one check (background or asked for).
type statusCheckedMsg struct {
	id     string
	res    *submit.CheckResult
	err    error
	manual bool
}

// track starts following s if it needs checks and is not followed yet.
// startup spreads the first checks of a loaded history over a few seconds.
func (p *poller) track(s *store.Submission, now time.Time, soon bool) {
	if !submit.NeedsCheck(s) {
		p.forget(s.ID)
		return
	}
	if _, ok := p.next[s.ID]; ok {
		return
	}
	d := p.first
	if soon {
		d = time.Duration(rand.Int64N(int64(2 * time.Second)))
	}
	p.next[s.ID] = now.Add(d)
	p.interval[s.ID] = p.first
}

func (p *poller) forget(id string) {
	delete(p.next, id)
	delete(p.interval, id)
}

// checked reschedules id after a check: doubling, capped, jittered.
func (p *poller) checked(id string, now time.Time) {
	if _, ok := p.next[id]; !ok {
		return
	}
	iv := min(p.interval[id]*2, p.max)
	p.interval[id] = iv
	p.next[id] = now.Add(iv/2 + time.Duration(rand.Int64N(int64(iv/2)+1)))
}

// due returns ids whose check is due, at most as many as free slots.
func (p *poller) due(now time.Time) []string {
	var ids []string
	for id, t := range p.next {
		if len(p.running)+len(ids) >= maxChecks {
			break
		}
		if !t.After(now) && !p.running[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// schedule returns a tick for the earliest pending check, unless one that
// fires earlier is already pending. Nothing ticks when nothing is pending.
func (p *poller) schedule(now time.Time) tea.Cmd {
	if len(p.running) >= maxChecks {
		return nil // the next check's result schedules again
	}
	var earliest time.Time
	for id, t := range p.next {
		if p.running[id] {
			continue
		}
		if earliest.IsZero() || t.Before(earliest) {
			earliest = t
		}
	}
	if earliest.IsZero() {
		return nil
	}
	if !p.tickAt.IsZero() && !p.tickAt.After(earliest) {
		return nil
	}
	p.tickAt = earliest
	d := max(earliest.Sub(now), 10*time.Millisecond)
	return tea.Tick(d, func(t time.Time) tea.Msg { return pollTickMsg{at: earliest} })
}

// checkCmd asks the server about one job and records what it says (and the
// result, the first time it is seen completed) in the history. It has no
// total deadline: the client bounds the wait for each reply's headers and
// each silence while reading it, and a transcript over a slow link takes
// what it takes.
func checkCmd(client *submit.Client, st *store.Store, sub store.Submission, manual bool) tea.Cmd {
	return func() tea.Msg {
		res, err := client.CheckRecorded(context.Background(), st, sub)
		return statusCheckedMsg{id: sub.ID, res: res, err: err, manual: manual}
	}
}
