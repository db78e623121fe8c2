package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
)

// Files shows how long each audio file plays, and the marked files' total.
// A listing never waits for the lengths: names and sizes are drawn as soon
// as the folder is read, and the lengths fill in as commands read them from
// the files' headers, a batch at a time, the rows on screen first.

// lengthBatch is how many files one command measures. Each batch is a
// redraw; a screenful is the first.
const lengthBatch = 48

// lengthWorkers is how many files of a batch are read at once: reading
// headers is mostly waiting for the disk (or NFS).
const lengthWorkers = 4

// lengthW is the width of Files' length column: "59 min 59 s" and "?".
const lengthW = 11

// measuredLength is a file's length, for the size and mtime it was read at:
// a file that changed since is measured again.
type measuredLength struct {
	size   int64
	mtime  time.Time
	length audio.Length
}

// fileLengths is what Files knows of its files' lengths, by path, across
// folders (marks span folders too).
type fileLengths struct {
	known     map[string]measuredLength
	measuring bool // a batch is being read; the next starts when it comes back
}

// filesLengthsMsg carries the lengths one command read.
type filesLengthsMsg struct {
	found map[string]measuredLength
}

// lengthOf returns e's length, and whether it has been read for the file as
// it is now.
func (s *filesScreen) lengthOf(e *fileEntry) (audio.Length, bool) {
	m, ok := s.lengths.known[e.path]
	if !ok || m.size != e.size || !m.mtime.Equal(e.mtime) {
		return audio.Length{}, false
	}
	return m.length, true
}

// measureNext starts reading the lengths of the next batch of files that
// need it: marked files of other folders first (the title's total), then
// the audio files of the listing from the top row on screen down, then from
// the top. It does nothing while a batch is being read, or when every
// length is known.
func (s *filesScreen) measureNext() tea.Cmd {
	if s.lengths.measuring {
		return nil
	}
	if s.lengths.known == nil {
		s.lengths.known = map[string]measuredLength{}
	}
	var todo []measuredLength
	var paths []string
	picked := make(map[string]bool, lengthBatch)
	add := func(path string, size int64, mtime time.Time) {
		if !picked[path] {
			picked[path] = true
			paths = append(paths, path)
			todo = append(todo, measuredLength{size: size, mtime: mtime})
		}
	}
	full := func() bool { return len(paths) == lengthBatch }
	// Marked files of other folders, measured for their size when marked
	// (their mtime is not kept: a file that changed since is measured again
	// when its folder is listed).
	for _, p := range s.order {
		if _, ok := s.lengths.known[p]; !ok && filepath.Dir(p) != s.dir && !full() {
			add(p, s.marked[p], time.Time{})
		}
	}
	// Then the rows on screen and below, then the others (above, or
	// filtered out: they show when the filter is cleared).
	unread := func(e *fileEntry) bool {
		_, ok := s.lengthOf(e)
		return e.kind == entryAudio && !ok
	}
	for i := 0; i < len(s.shown) && !full(); i++ {
		if e := &s.entries[s.shown[(s.offset+i)%len(s.shown)]]; unread(e) {
			add(e.path, e.size, e.mtime)
		}
	}
	for i := 0; i < len(s.entries) && !full(); i++ {
		if e := &s.entries[i]; unread(e) {
			add(e.path, e.size, e.mtime)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	s.lengths.measuring = true
	measure := s.sh.deps.MeasureFiles
	return func() tea.Msg {
		found := make(map[string]measuredLength, len(paths))
		for i, m := range measure(context.Background(), paths, lengthWorkers) {
			todo[i].length = m.Info.Length
			found[paths[i]] = todo[i]
		}
		return filesLengthsMsg{found: found}
	}
}

// gotLengths keeps what a batch read, and starts the next.
func (s *filesScreen) gotLengths(msg filesLengthsMsg) tea.Cmd {
	s.lengths.measuring = false
	for p, m := range msg.found {
		s.lengths.known[p] = m
	}
	return s.measureNext()
}

// lengthCell is e's length column: its length, "?" when its headers do not
// say, an ellipsis while it is being read, nothing for what is not audio.
func (s *filesScreen) lengthCell(e *fileEntry) string {
	if e.kind != entryAudio {
		return ""
	}
	if l, ok := s.lengthOf(e); ok {
		return cost.Length(l)
	}
	return s.sh.st.G.Ellipsis
}

// markedSummary is the title's account of the marked files: "3 marked ·
// 420.0 MiB · 3 h 14 min", with "≥" when some lengths are unknown or not
// read yet, and an ellipsis while none is read.
func (s *filesScreen) markedSummary() string {
	var bytes int64
	var total cost.Total
	unread := 0
	for _, p := range s.order {
		bytes += s.marked[p]
		m, ok := s.lengths.known[p]
		if !ok {
			unread++
		}
		total.Add(m.length) // not read yet: unknown, for now
	}
	length := total.String()
	if unread == len(s.order) {
		length = s.sh.st.G.Ellipsis
	}
	return fmt.Sprintf("%d marked · %s · %s", len(s.order), humanBytes(bytes), length)
}
