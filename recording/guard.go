package recording

import (
	"sync"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Guard keeps two fwbatch processes (two syncs, a sync and the UI) from
// paying for one recording twice. An Index answers from the history as it
// was read; between that read and an upload, another process may have
// started one of the same recording. Guard answers again at the last
// moment, under the history's lock, right before "started" is written
// (submit.BatchItem.Unless), on the file as it is then.
//
// It indexes the history's submissions by fingerprint (and, for those
// recorded without one, by place) as it first sees them, and then only
// those added since, so that each question costs O(new submissions)
// however long the history. One Guard serves a whole batch; it is safe for
// concurrent use.
type Guard struct {
	alive Alive

	mu      sync.Mutex
	seen    int    // submissions of the file indexed, from the first
	lastID  string // the id of the last one indexed: a file replaced since starts over
	byFP    map[string][]int32
	byPlace map[place][]int32
}

// NewGuard makes a Guard; a nil alive means store.ProcessAlive.
func NewGuard(alive Alive) *Guard {
	if alive == nil {
		alive = store.ProcessAlive
	}
	return &Guard{alive: alive}
}

// Unless returns the function for submit.BatchItem.Unless of an upload
// with opts: it names the submission of the same recording as the started
// event (by its fingerprint, read from the file right before; or, for
// submissions recorded without one, by path, size and mtime) whose
// options equal opts and which is done (a live job, or an upload by a live
// process, this one included) or of unknown outcome, by the rules of
// Recording.DoneFor; nil when there is none and the upload should go ahead.
func (g *Guard) Unless(opts submit.Options) func(h *store.History, started *store.Event) *store.Submission {
	return func(h *store.History, started *store.Event) *store.Submission {
		return g.existing(h, started, opts)
	}
}

func (g *Guard) existing(h *store.History, ev *store.Event, opts submit.Options) *store.Submission {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.catchUp(h)
	f := File{Path: ev.File, Size: ev.Size}
	if ev.MTime != nil {
		f.MTime = *ev.MTime
	}
	var r Recording
	if size, ok := submit.FingerprintSize(ev.Fingerprint); ok && size == ev.Size {
		for _, i := range g.byFP[ev.Fingerprint] {
			r.Subs = append(r.Subs, h.At(int(i)))
		}
	}
	for _, i := range g.byPlace[placeOf(f)] {
		r.Subs = append(r.Subs, h.At(int(i)))
	}
	if len(r.Subs) == 0 {
		return nil
	}
	r.states = make([]State, len(r.Subs))
	for i, s := range r.Subs {
		r.states[i] = stateOf(s, g.alive)
	}
	if v, sub := r.DoneFor(opts); v != NotDone {
		return sub
	}
	return nil
}

// catchUp indexes the submissions h holds that g has not seen. A history
// whose submissions do not continue the ones seen (the file was replaced)
// is indexed again from the start.
func (g *Guard) catchUp(h *store.History) {
	if g.seen > h.Len() || g.seen > 0 && h.At(g.seen-1).ID != g.lastID {
		g.seen, g.byFP, g.byPlace = 0, nil, nil
	}
	if g.byFP == nil {
		g.byFP, g.byPlace = make(map[string][]int32, h.Len()), map[place][]int32{}
	}
	for i := g.seen; i < h.Len(); i++ {
		s := h.At(i)
		switch {
		case s.File == "":
		case fingerprinted(s):
			g.byFP[s.Fingerprint] = append(g.byFP[s.Fingerprint], int32(i))
		case !s.MTime.IsZero():
			// Recorded without a fingerprint (of this kind): recognised only
			// where it was, as Index does.
			p := place{s.File, s.Size, s.MTime.UnixNano()}
			g.byPlace[p] = append(g.byPlace[p], int32(i))
		}
	}
	g.seen = h.Len()
	if g.seen > 0 {
		g.lastID = h.At(g.seen - 1).ID
	}
}
