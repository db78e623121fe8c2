package ui

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// uploads is the root's record of this process's uploads. Batches run in
// tea.Cmds; their events come back through a queue that never blocks the
// uploader (so an upload finishes and is recorded even if the screen is gone,
// e.g. after SIGHUP).
type uploads struct {
	items []*upload
	byID  map[string]*upload
	// shownFrom is where the uploads Submitting shows begin: a batch started
	// while nothing was in flight starts a new page, one started meanwhile
	// joins the page of those still running.
	shownFrom int

	q       *eventQueue
	waiting bool // a command is waiting on q
	running int  // batches not finished, as the UI has heard
	nextB   int

	// Shared with cli's signal handling, which runs outside the program.
	mu      sync.Mutex
	cancels map[int]context.CancelFunc
	active  atomic.Int32 // batches whose RunBatch has not returned
	// interrupted: the user quit or cancelled while uploads ran.
	interrupted atomic.Bool
	wg          sync.WaitGroup
}

type upload struct {
	id, file string
	batch    int
	total    int64 // the file's size: from a look before the batch ran, then as the upload reports it
	sent     int64 // of total: the body's progress in the file's bytes
	allSent  bool  // every byte of the request is sent: the server has to answer
	started  bool  // "started" is in the history: the upload is running, not queued
	began    time.Time
	rate     float64   // bytes per second over the last few seconds; 0 until known
	tries    time.Time // when the current attempt began
	samples  []sample  // recent (time, bytes sent) of this attempt

	attempt     int
	retryAt     time.Time
	retryReason string

	done    bool
	skipped bool // not sent: the same recording was sent meanwhile (form_done.go)
	outcome store.Kind
	batchID string
	err     error
}

func newUploads() *uploads {
	return &uploads{byID: map[string]*upload{}, q: &eventQueue{}, cancels: map[int]context.CancelFunc{}}
}

// inFlight counts the uploads not finished: running and queued.
func (u *uploads) inFlight() int {
	running, queued := u.counts()
	return running + queued
}

// counts says how many uploads are running (their "started" event is
// written) and how many wait for a free slot.
func (u *uploads) counts() (running, queued int) {
	for _, it := range u.items[u.shownFrom:] { // those before are finished
		switch {
		case it.done:
		case it.started:
			running++
		default:
			queued++
		}
	}
	return running, queued
}

// shown is the uploads the Submitting screen is about.
func (u *uploads) shown() []*upload { return u.items[u.shownFrom:] }

// describeCounts is "1 upload running and 3 queued" for questions and notes.
func describeCounts(running, queued int) string {
	s := plural(running, "upload") + " running"
	if running == 0 {
		s = "no upload running"
	}
	if queued > 0 {
		s += fmt.Sprintf(" and %d queued", queued)
	}
	return s
}

func (u *uploads) cancelAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.cancels {
		c()
	}
}

// Wait blocks until every batch has recorded its outcomes. cli calls it after
// the program ends so that a dropped terminal never loses an upload.
func (u *uploads) Wait() { u.wg.Wait() }

// batchEventsMsg carries what happened since the last one, in order.
type batchEventsMsg struct{ evs []tea.Msg }

// batchEventMsg is one event of one batch's item.
type batchEventMsg struct {
	batch int
	ev    submit.BatchEvent
}

// batchDoneMsg: RunBatch returned; every outcome is in the history.
type batchDoneMsg struct{ batch int }

// batchSizesMsg: the sizes of a batch's files, looked up before it runs, so
// that the overall progress counts the files still queued.
type batchSizesMsg struct{ sizes map[string]int64 } // by submission id

// start registers items and returns the command that runs them.
func (u *uploads) start(client *submit.Client, st *store.Store, items []submit.BatchItem, concurrency int) tea.Cmd {
	b := u.nextB
	u.nextB++
	ctx, cancel := context.WithCancel(context.Background())
	u.mu.Lock()
	u.cancels[b] = cancel
	u.mu.Unlock()
	u.running++
	u.active.Add(1)
	if u.inFlight() == 0 {
		u.shownFrom = len(u.items)
	}
	now := time.Now()
	for _, it := range items {
		up := &upload{id: it.ID, file: it.File, batch: b, began: now, tries: now}
		u.items = append(u.items, up)
		u.byID[it.ID] = up
	}
	q := u.q
	u.wg.Add(1)
	run := func() tea.Msg {
		defer u.wg.Done()
		defer u.active.Add(-1)
		sizes := make(map[string]int64, len(items))
		for _, it := range items {
			if fi, err := os.Stat(it.File); err == nil {
				sizes[it.ID] = fi.Size()
			}
		}
		q.push(batchSizesMsg{sizes: sizes})
		client.RunBatch(ctx, st, items, concurrency, func(ev submit.BatchEvent) {
			q.push(batchEventMsg{batch: b, ev: ev})
		})
		cancel()
		u.mu.Lock()
		delete(u.cancels, b)
		u.mu.Unlock()
		q.push(batchDoneMsg{batch: b})
		return nil
	}
	return tea.Batch(run, u.wait())
}

// wait returns a command that delivers the next queued events, unless one is
// already waiting.
func (u *uploads) wait() tea.Cmd {
	if u.waiting {
		return nil
	}
	u.waiting = true
	q := u.q
	return func() tea.Msg { return batchEventsMsg{evs: q.take()} }
}

// apply folds one event into the upload's state.
func (u *uploads) apply(e batchEventMsg, now time.Time) {
	up := u.byID[e.ev.Item.ID]
	if up == nil {
		return
	}
	ev := e.ev
	switch ev.Type {
	case submit.EventStarted:
		up.started = true
		if ev.Progress.Total > 0 {
			up.total = ev.Progress.Total
		}
	case submit.EventProgress:
		p := ev.Progress
		up.attempt = p.Attempt
		if p.RetryIn > 0 {
			up.retryAt = now.Add(p.RetryIn)
			up.retryReason = p.RetryReason
			up.sent, up.allSent = 0, false
			up.rate = 0
			up.samples = up.samples[:0]
			return
		}
		up.retryAt = time.Time{}
		// Progress counts the request's body, which is the file and a few
		// hundred bytes of form fields: shown as the file's bytes, so that
		// a file's total never changes and the overall total is the sum of
		// the files' sizes.
		sent := p.Sent
		switch {
		case up.total <= 0:
			up.total = p.Total
		case p.Total > 0:
			sent = p.Sent * up.total / p.Total
		}
		up.allSent = p.Total > 0 && p.Sent >= p.Total
		if sent < up.sent || len(up.samples) == 0 { // an attempt starts (over)
			up.tries, up.samples = now, up.samples[:0]
		}
		up.samples = append(up.samples, sample{now, sent})
		up.rate = up.measure(now)
		up.sent = sent
	case submit.EventDone:
		up.done = true
		up.outcome = ev.Outcome
		up.skipped = ev.Skipped != nil
		if up.skipped {
			up.batchID = ev.Skipped.BatchID
		}
		up.err = ev.Err
		up.retryAt = time.Time{}
		if ev.Reply != nil {
			up.batchID = ev.Reply.BatchID
			up.sent = up.total
		}
	}
}

// eventQueue is an unbounded FIFO of messages: push never blocks, take blocks
// until there is something and returns all of it.
type eventQueue struct {
	mu    sync.Mutex
	items []tea.Msg
	ready chan struct{}
}

func (q *eventQueue) push(m tea.Msg) {
	q.mu.Lock()
	q.items = append(q.items, m)
	if q.ready == nil {
		q.ready = make(chan struct{}, 1)
	}
	select {
	case q.ready <- struct{}{}:
	default:
	}
	q.mu.Unlock()
}

func (q *eventQueue) take() []tea.Msg {
	for {
		q.mu.Lock()
		if q.ready == nil {
			q.ready = make(chan struct{}, 1)
		}
		if len(q.items) > 0 {
			out := q.items
			q.items = nil
			q.mu.Unlock()
			return out
		}
		ready := q.ready
		q.mu.Unlock()
		<-ready
	}
}

type sample struct {
	t    time.Time
	sent int64
}

// Rates are measured over rateWindow, leaving out the first burstSkip of an
// attempt (the kernel's socket buffers swallow the first megabytes at once,
// which would promise a rate the link never keeps), and shown only once
// rateMin of sending has been seen. A slow server reads in jumps seconds
// apart (progress then arrives a megabyte at a time): the window always
// reaches back to the sample before its oldest, so it spans a jump.
const (
	rateWindow = 5 * time.Second
	burstSkip  = 500 * time.Millisecond
	rateMin    = time.Second
)

// measure returns the sending rate from the recent samples, or 0 while it
// is not known yet.
func (u *upload) measure(now time.Time) float64 {
	// Keep the window and the newest sample older than it.
	cut := 0
	for cut+1 < len(u.samples) && now.Sub(u.samples[cut+1].t) > rateWindow {
		cut++
	}
	u.samples = u.samples[cut:]
	if len(u.samples) < 2 {
		return 0
	}
	last := u.samples[len(u.samples)-1]
	// The base is the first sample after the burst; when that leaves less
	// than rateMin (the first jump after it), the one before it: the
	// burst's end.
	base := -1
	for i, s := range u.samples {
		if s.t.Sub(u.tries) >= burstSkip {
			base = i
			break
		}
	}
	if base > 0 && last.t.Sub(u.samples[base].t) < rateMin {
		base--
	}
	if base < 0 {
		return 0
	}
	if dt := last.t.Sub(u.samples[base].t); dt >= rateMin {
		return float64(last.sent-u.samples[base].sent) / dt.Seconds()
	}
	return 0
}
