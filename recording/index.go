// Package recording tells, for audio files on disk, which of them the
// history already knows: the same recording (by content, wherever it lives
// now), its state for display, and whether it is done for a set of request
// options, so that folder work never pays for a recording twice. The UI's
// Files screen and `fwbatch sync` share it. The rules are in README.md.
package recording

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// File is an audio file as a folder listing sees it.
type File struct {
	Path  string // absolute and clean
	Size  int64
	MTime time.Time
}

// Stat describes the file at path (following symlinks).
func Stat(path string) (File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return File{}, err
	}
	return File{Path: abs, Size: fi.Size(), MTime: fi.ModTime()}, nil
}

// place is where and how a file was when a submission was recorded: the
// fast path to its fingerprint, and the only way to recognise submissions
// recorded before fingerprints were kept.
type place struct {
	path  string
	size  int64
	mtime int64 // Unix nanoseconds
}

func placeOf(f File) place { return place{f.Path, f.Size, f.MTime.UnixNano()} }

// Index finds the submissions of a recording in O(1). It is built once from
// the history, in O(history), and never changes: rebuild it when the
// history changes. It is safe for concurrent use.
//
// Each map holds the first of a chain of submissions linked through next
// arrays, in history order: no allocation per key, which is most of the
// cost of indexing 100,000 submissions.
type Index struct {
	subs          []*store.Submission
	byFingerprint map[string]int32
	byPlace       map[place]int32
	nextSameFP    []int32 // -1 ends a chain
	nextSamePlace []int32
	// sizes holds the size of every fingerprinted submission: a file of
	// another size cannot be one of them, so it is never read.
	sizes map[int64]struct{}
	alive Alive
}

// NewIndex indexes subs, hidden ones included (a hidden entry's job still
// exists). A nil alive means store.ProcessAlive.
func NewIndex(subs []*store.Submission, alive Alive) *Index {
	if alive == nil {
		alive = store.ProcessAlive
	}
	ix := &Index{
		subs:          subs,
		byFingerprint: make(map[string]int32, len(subs)),
		byPlace:       make(map[place]int32, len(subs)),
		nextSameFP:    make([]int32, len(subs)),
		nextSamePlace: make([]int32, len(subs)),
		sizes:         make(map[int64]struct{}, len(subs)),
		alive:         alive,
	}
	// Backwards, each one put in front of its chain: chains end up in
	// history order.
	for i := len(subs) - 1; i >= 0; i-- {
		s := subs[i]
		ix.nextSameFP[i], ix.nextSamePlace[i] = -1, -1
		if s.File == "" {
			continue // events of an id with no "started": nothing to match
		}
		if fingerprinted(s) {
			if next, ok := ix.byFingerprint[s.Fingerprint]; ok {
				ix.nextSameFP[i] = next
			}
			ix.byFingerprint[s.Fingerprint] = int32(i)
			ix.sizes[s.Size] = struct{}{}
		}
		if !s.MTime.IsZero() {
			p := place{s.File, s.Size, s.MTime.UnixNano()}
			if next, ok := ix.byPlace[p]; ok {
				ix.nextSamePlace[i] = next
			}
			ix.byPlace[p] = int32(i)
		}
	}
	return ix
}

// fingerprinted reports whether s has a fingerprint of the kind made here.
// One of another kind (a newer fwbatch's) cannot be compared, so s is
// recognised like the submissions from before fingerprints: by its place.
func fingerprinted(s *store.Submission) bool {
	size, ok := submit.FingerprintSize(s.Fingerprint)
	return ok && size == s.Size
}

// atPlace calls fn with each submission recorded at p, in history order.
func (ix *Index) atPlace(p place, fn func(*store.Submission)) {
	i, ok := ix.byPlace[p]
	for ok && i >= 0 {
		fn(ix.subs[i])
		i = ix.nextSamePlace[i]
	}
}

// Recording is an audio file and the history's submissions of its content.
type Recording struct {
	File File
	// Fingerprint is the file's content fingerprint; "" when no submission
	// could be of it (none of its size), so it was not needed.
	Fingerprint string
	// Subs are its submissions, oldest first: every one with its
	// fingerprint, wherever the file was then, and those recorded before
	// fingerprints at its path with its size and mtime.
	Subs []*store.Submission
	// states parallels Subs.
	states []State
}

// fastFingerprint is what the index alone knows of f's fingerprint: the
// one recorded at f's place, and whether reading f is needed at all.
func (ix *Index) fastFingerprint(f File) (fp string, read bool) {
	conflict := false
	ix.atPlace(placeOf(f), func(s *store.Submission) {
		switch {
		case !fingerprinted(s):
		case fp == "":
			fp = s.Fingerprint
		case fp != s.Fingerprint:
			conflict = true
		}
	})
	if conflict {
		// Two contents recorded at one path, size and mtime: the fast path
		// cannot be trusted here; read the file.
		return "", true
	}
	if fp != "" {
		return fp, false
	}
	_, sized := ix.sizes[f.Size]
	return "", sized
}

// NeedsRead reports whether Recognise would have to read f: neither the
// history nor cache knows its fingerprint, and some submission has its size.
func (ix *Index) NeedsRead(f File, cache *Cache) bool {
	_, read := ix.fastFingerprint(f)
	if read && cache != nil {
		_, ok := cache.Get(f)
		return !ok
	}
	return read
}

// Recognise finds f's submissions. It reads f (its first and last MiB)
// only when nothing cheaper tells its fingerprint: a submission recorded
// at f's path with f's size and mtime knows it, a file of a size no
// submission has needs none, and cache (may be nil) keeps what was read
// before. What it reads goes into cache. When f changed since it was
// listed, Recording.File describes it as read.
func (ix *Index) Recognise(f File, cache *Cache) (Recording, error) {
	fp, read := ix.fastFingerprint(f)
	if read && cache != nil {
		fp, read = cache.Get(f)
		read = !read
	}
	if read {
		got, info, err := submit.FingerprintFile(f.Path)
		if err != nil {
			return Recording{File: f}, err
		}
		f = File{Path: f.Path, Size: info.Size(), MTime: info.ModTime()}
		fp = got
		if cache != nil {
			cache.Put(f, fp)
		}
	}
	return ix.recording(f, fp), nil
}

func (ix *Index) recording(f File, fp string) Recording {
	r := Recording{File: f, Fingerprint: fp}
	if i, ok := ix.byFingerprint[fp]; ok && fp != "" {
		for ; i >= 0; i = ix.nextSameFP[i] {
			r.Subs = append(r.Subs, ix.subs[i])
		}
	}
	legacy := false
	ix.atPlace(placeOf(f), func(s *store.Submission) {
		if !fingerprinted(s) {
			r.Subs = append(r.Subs, s)
			legacy = true
		}
	})
	if legacy {
		slices.SortStableFunc(r.Subs, func(a, b *store.Submission) int { return a.Started.Compare(b.Started) })
	}
	r.states = make([]State, len(r.Subs))
	for i, s := range r.Subs {
		r.states[i] = stateOf(s, ix.alive)
	}
	return r
}

// Status is r's state for display, whatever the options: the highest state
// of its submissions (done over processing over uploading over unknown over
// interrupted over failed), from the newest submission in that state.
func (r Recording) Status() Status {
	st := Status{Submissions: len(r.Subs)}
	for i, s := range r.Subs {
		if r.states[i] >= st.State {
			st.State, st.Sub = r.states[i], s
		}
	}
	return st
}

// Verdict says whether a recording is done for a set of options.
type Verdict int

const (
	// NotDone: no submission with these options has a live job (never
	// submitted, or failed, interrupted, or the job is gone): submit it.
	NotDone Verdict = iota
	// Done: a submission with these options is submitted, processing or
	// completed, or a live fwbatch process is uploading it now.
	Done
	// Maybe: a submission with these options has an unknown outcome; a
	// job may exist. Report it; never resubmit it automatically.
	Maybe
)

func (v Verdict) String() string {
	switch v {
	case Done:
		return "done"
	case Maybe:
		return "maybe"
	}
	return "not done"
}

// DoneFor says whether r is done for opts: a submission whose normalised
// request options (Normalise) equal opts' and whose state is live counts
// (Done), one with an unknown outcome may (Maybe). The submission that
// decides is returned: the newest of the most advanced state.
func (r Recording) DoneFor(opts submit.Options) (Verdict, *store.Submission) {
	want := Normalise(opts)
	verdict, best, bestState := NotDone, (*store.Submission)(nil), StateNone
	for i, s := range r.Subs {
		st := r.states[i]
		var v Verdict
		switch {
		case st.Live():
			v = Done
		case st == StateUnknown:
			v = Maybe
		default:
			continue
		}
		if o, ok := optionsOf(s); !ok || o != want {
			continue
		}
		// Done beats Maybe; among live ones the most advanced state.
		if v == Done && (verdict != Done || st >= bestState) || v == Maybe && verdict != Done {
			verdict, best, bestState = v, s, st
		}
	}
	return verdict, best
}
