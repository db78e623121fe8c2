package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/recording"
)

// Files shows beside each audio file what the history holds of it: done
// (a transcript), processing, failed, unknown, interrupted, or nothing when
// it was never sent. The states are computed in a command, from the
// history's index and the fingerprint cache, and come in batches as they
// are known: the listing never waits for them (a file another folder sent,
// not seen before, is read to be recognised; the others are not).

// fileStates is what Files knows of its files' states.
type fileStates struct {
	gen    int // bumped by each look; batches of an older one are dropped
	cancel context.CancelFunc
	dir    string // the folder the states are of
	recGen int    // the history index they were judged with
	by     map[string]recording.Status
	total  int  // audio files being looked at
	known  int  // of them, states this look has found
	done   bool // the look has finished
	// stale: the history changed while Files was not shown; it looks
	// again when shown.
	stale    bool
	hideDone bool
}

// fileState is one file's state as a look found it.
type fileState struct {
	path   string
	status recording.Status
	err    error
}

// fileStatesMsg is a batch of states; next waits for the next one.
type fileStatesMsg struct {
	gen     int
	states  []fileState
	next    tea.Cmd
	done    bool
	warning string // what was wrong with the fingerprint cache, once
}

// statesBatch bounds how long found states wait to be shown, and how many
// go in one message: about two frames, or a screenful many times over.
const (
	statesBatchWait = 30 * time.Millisecond
	statesBatchMax  = 1024
)

// annotate starts a look at the folder's audio files, unless the history
// has not been read yet (it starts when it has).
func (s *filesScreen) annotate() tea.Cmd {
	rec := s.sh.rec
	fs := &s.states
	if fs.cancel != nil {
		fs.cancel()
		fs.cancel = nil
	}
	if rec == nil || rec.ix == nil || s.loading {
		return nil
	}
	var files []recording.File
	for _, e := range s.entries {
		if e.kind == entryAudio {
			files = append(files, recording.File{Path: e.path, Size: e.size, MTime: e.mtime})
		}
	}
	fs.gen++
	if fs.dir != s.dir {
		fs.by = map[string]recording.Status{} // another folder: nothing of the last one shows
	}
	fs.dir, fs.recGen, fs.total, fs.known, fs.done, fs.stale = s.dir, rec.gen, len(files), 0, false, false
	if len(files) == 0 {
		fs.done = true
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	fs.cancel = cancel
	gen, ix, cache := fs.gen, rec.ix, rec.cache
	ch := make(chan fileStatesMsg, 4)
	return func() tea.Msg {
		go lookAtFiles(ctx, gen, ix, cache, files, ch)
		return nextStates(ch)()
	}
}

// lookAtFiles recognises files and sends their states in batches on ch,
// then saves what it read into the cache; it closes ch when done.
func lookAtFiles(ctx context.Context, gen int, ix *lazyIndex, cache *lazyCache, files []recording.File, ch chan<- fileStatesMsg) {
	defer close(ch)
	send := func(m fileStatesMsg) bool {
		select {
		case ch <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	index, c := ix.get(), cache.get()
	var batch []fileState
	flushAt := time.Now().Add(statesBatchWait)
	index.RecogniseAll(ctx, files, c, 2, func(f recording.Found) {
		batch = append(batch, fileState{path: files[f.Index].Path, status: f.Recording.Status(), err: f.Err})
		if len(batch) >= statesBatchMax || time.Now().After(flushAt) {
			if send(fileStatesMsg{gen: gen, states: batch}) {
				batch = nil
			}
			flushAt = time.Now().Add(statesBatchWait)
		}
	})
	last := fileStatesMsg{gen: gen, states: batch, done: ctx.Err() == nil}
	if c != nil {
		last.warning = c.Warning()
		if err := c.Save(ctx); err != nil && ctx.Err() == nil {
			last.warning = err.Error()
		}
	}
	send(last)
}

// nextStates waits for the next batch a look sends.
func nextStates(ch <-chan fileStatesMsg) tea.Cmd {
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil // cancelled: a newer look has taken over
		}
		if !m.done {
			m.next = nextStates(ch)
		}
		return m
	}
}

// takeStates applies a batch of states.
func (s *filesScreen) takeStates(msg fileStatesMsg) tea.Cmd {
	fs := &s.states
	if msg.gen != fs.gen {
		return nil
	}
	fs.known += len(msg.states)
	for _, st := range msg.states {
		if st.err == nil {
			fs.by[st.path] = st.status
		}
	}
	if msg.done {
		fs.done, fs.cancel = true, nil
	}
	if fs.hideDone {
		s.rebuildKeepingCursor()
	}
	var say tea.Cmd
	if msg.warning != "" {
		say = emit(noticeMsg{notice{text: msg.warning, kind: noticeWarn}})
	}
	return tea.Batch(msg.next, say)
}

// historyRead is told that the history was read again: the states are
// looked at again now when Files shows, or when it is shown next.
func (s *filesScreen) historyRead(shown bool) tea.Cmd {
	if !shown {
		s.states.stale = true
		return nil
	}
	return s.annotate()
}

// onShow is told that Files is on screen again.
func (s *filesScreen) onShow() tea.Cmd {
	if s.states.stale || s.sh.rec != nil && s.states.recGen != s.sh.rec.gen && s.states.dir == s.dir {
		return s.annotate()
	}
	return nil
}

// status is what is known of e's state, and whether it is known yet.
func (s *filesScreen) status(e *fileEntry) (recording.Status, bool) {
	st, ok := s.states.by[e.path]
	return st, ok
}

// hidden reports whether the list leaves e out: done files, while they
// are hidden.
func (s *filesScreen) hidden(e *fileEntry) bool {
	if !s.states.hideDone || e.kind != entryAudio {
		return false
	}
	st, ok := s.status(e)
	return ok && st.State == recording.StateDone
}

// notYetDone reports whether e has no job yet: never sent, or sent and
// failed or interrupted. A file whose outcome is unknown may have a job:
// it is not one of them.
func notYetDone(st recording.State) bool {
	return st == recording.StateNone || st == recording.StateFailed || st == recording.StateInterrupted
}

// markNotDone marks every audio file of the folder known to have no job
// yet, or unmarks them when they all are marked already.
func (s *filesScreen) markNotDone() {
	var todo []*fileEntry
	for i := range s.entries {
		e := &s.entries[i]
		if st, ok := s.status(e); ok && e.kind == entryAudio && notYetDone(st.State) {
			todo = append(todo, e)
		}
	}
	if len(todo) == 0 {
		if s.states.done {
			s.problem = "every audio file here has a job already (or may have: unknown)"
		} else {
			s.problem = "the files' states are not known yet: try again in a moment"
		}
		return
	}
	all := true
	for _, e := range todo {
		if _, ok := s.marked[e.path]; !ok {
			all = false
		}
	}
	for _, e := range todo {
		if _, ok := s.marked[e.path]; ok == all {
			s.toggle(e)
		}
	}
	if !s.states.done {
		s.problem = fmt.Sprintf("marked %d; the states of the others are not known yet", len(todo))
	}
}

func (s *filesScreen) toggleHideDone() {
	s.states.hideDone = !s.states.hideDone
	s.rebuildKeepingCursor()
}

// stateCell is e's state as Files shows it: a glyph and a word, "" while
// not known or for what is not an audio file.
func (s *filesScreen) stateCell(e *fileEntry) (string, recording.State) {
	st, ok := s.status(e)
	if !ok || e.kind != entryAudio || st.State == recording.StateNone {
		return "", recording.StateNone
	}
	return st.State.Glyph(s.sh.st.G == asciiGlyphs) + " " + st.Word(), st.State
}

// stateStyle colours a state cell; the glyph and word say it without.
func (s *filesScreen) stateStyle(state recording.State, cell string) string {
	st := s.sh.st
	switch state {
	case recording.StateDone:
		return st.OK.Render(cell)
	case recording.StateProcessing, recording.StateUploading:
		return st.Pending.Render(cell)
	case recording.StateFailed:
		return st.Err.Render(cell)
	case recording.StateUnknown, recording.StateInterrupted:
		return st.Warn.Render(cell)
	}
	return cell
}

// statesInfo is what the info line says of the states: how many are known
// while the look runs, and how many are hidden.
func (s *filesScreen) statesInfo() string {
	fs := &s.states
	out := ""
	switch {
	case s.sh.rec != nil && s.sh.rec.unreadable && s.sh.rec.ix == nil:
		out = " · states unknown: the history cannot be read"
	case s.sh.rec == nil || s.sh.rec.ix == nil:
		out = " · reading the history" + s.sh.st.G.Ellipsis
	case !fs.done && fs.total > 0:
		out = fmt.Sprintf(" · states %d/%d%s", fs.known, fs.total, s.sh.st.G.Ellipsis)
	}
	if fs.hideDone {
		n := 0
		for i := range s.entries {
			if s.hidden(&s.entries[i]) {
				n++
			}
		}
		out += fmt.Sprintf(" · %d done hidden (d shows)", n)
	}
	return out
}

// stateKeys are Files' keys for the states.
func (s *filesScreen) stateKeys() (markNotDone, hideDone key.Binding) {
	hide := "hide done"
	if s.states.hideDone {
		hide = "show done"
	}
	return key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "mark not yet done")),
		key.NewBinding(key.WithKeys("d"), key.WithHelp("d", hide))
}

// stateWidth is the width of the state column: room for the widest word
// a state of this folder has, or none before any is known.
func (s *filesScreen) stateWidth() int {
	w := 0
	for i := s.offset; i < len(s.shown) && i < s.offset+s.listHeight(); i++ {
		if cell, _ := s.stateCell(&s.entries[s.shown[i]]); cell != "" {
			w = max(w, lineWidth(cell)+2)
		}
	}
	// A column that grows with what is on screen would shift as one
	// scrolls: it keeps the room of the widest common word.
	if w > 0 {
		w = max(w, lineWidth("✓ processing")+2)
	}
	return min(w, max(s.w/4, 0))
}
