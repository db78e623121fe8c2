package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fwbatch/fwbatch/internal/durable"

	"github.com/google/renameio/v2"
)

// CompactReport says what a compaction did.
type CompactReport struct {
	Path      string
	Rewritten bool   // false: there was nothing to leave out and the file is as it was
	Backup    string // the previous file, kept as <Path>.bak
	Corrupt   string // unreadable lines, moved here one per line, byte for byte

	Submissions int
	LinesBefore int // a torn last line included
	LinesAfter  int
	Dropped     int // superseded events left out
	Unreadable  int // lines moved to Corrupt, a torn last line included
	Blank       int // blank lines left out
	SizeBefore  int64
	SizeAfter   int64

	TempRemoved []string // temp files an interrupted compaction left, removed
}

// Compaction runs when at least compactMinEvents events would shrink to a
// compactRatio-th or less: rare enough to stay off the hot path, and a
// freshly compacted file never qualifies again.
const (
	compactMinEvents = 10_000
	compactRatio     = 4
)

// MaybeCompact compacts the history if h, a recent Load of it, shows that
// most events are superseded; otherwise it only removes temp files an
// interrupted compaction left. It returns nil, nil when it did nothing.
// Run it in the background, at start-up for example: it takes the lock for
// as long as it reads and rewrites the file.
func (s *Store) MaybeCompact(ctx context.Context, h *History) (*CompactReport, error) {
	r := h.report
	if r.NewerCount == 0 && r.Events >= compactMinEvents && r.Events > compactRatio*h.kept() {
		return s.Compact(ctx)
	}
	if len(s.tempFiles()) == 0 {
		return nil, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return &CompactReport{Path: s.path, TempRemoved: s.removeTempFiles()}, nil
}

// Compact rewrites the history with only the events that decide each
// submission's state (see keepers), in file order, so that every submission
// folds exactly as before and keeps its place. Under the lock it writes a
// temp file, fsyncs it, keeps the previous file as <Path>.bak, renames the
// temp file over the history and fsyncs the folder. Unreadable lines are
// never dropped: they go to a <Path>.corrupt-<UTC time> file first. A file
// with lines of a newer format is left alone.
func (s *Store) Compact(ctx context.Context) (*CompactReport, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.mu.Lock()
	defer s.mu.Unlock()

	rep := &CompactReport{Path: s.path, TempRemoved: s.removeTempFiles()}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return nil, readError(s.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, readError(s.path, err)
	}

	h := newHistory(s.path)
	h.classes = make([]lineClass, 0, 1024)
	if err := h.scan(io.NewSectionReader(f, 0, fi.Size()), fi.Size()); err != nil {
		return nil, readError(s.path, err)
	}
	r := h.report
	if r.NewerCount > 0 {
		return nil, &NewerFormatError{Path: s.path, Version: r.NewerVersion}
	}
	kept := 0
	for i := range h.state {
		for _, l := range h.state[i].keep {
			if l != 0 && h.classes[l-1] != lineKeep {
				h.classes[l-1] = lineKeep
				kept++
			}
		}
	}
	rep.Submissions = h.Len()
	rep.LinesBefore, rep.SizeBefore = r.Lines, r.Size
	rep.Dropped, rep.Unreadable, rep.Blank = r.Events-kept, r.BadCount, r.Blank
	if r.Torn {
		rep.LinesBefore++
		if h.tornBlank {
			rep.Blank++
		} else {
			rep.Unreadable++
		}
	}
	if rep.Dropped == 0 && rep.Unreadable == 0 && rep.Blank == 0 {
		rep.LinesAfter, rep.SizeAfter = rep.LinesBefore, rep.SizeBefore
		return rep, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("history file %s: compaction cancelled before it wrote anything: %w", s.path, err)
	}
	if err := s.rewrite(f, h, rep); err != nil {
		return nil, err
	}
	s.head = headCache{}
	return rep, nil
}

// rewrite writes the kept lines and the unreadable ones to new files and
// puts them in place, in the order that never loses a byte: unreadable
// lines are on disk before the history that no longer holds them replaces
// the old one, and the old one stays as .bak.
func (s *Store) rewrite(f *os.File, h *History, rep *CompactReport) error {
	dir := filepath.Dir(s.path)
	out, err := renameio.NewPendingFile(s.path, renameio.WithTempDir(dir), renameio.WithStaticPermissions(0o600))
	if err != nil {
		return writeError(dir, "create a temp file to compact the history", err)
	}
	defer out.Cleanup()
	var bad *renameio.PendingFile
	if rep.Unreadable > 0 {
		rep.Corrupt = s.corruptName(time.Now())
		if bad, err = renameio.NewPendingFile(rep.Corrupt, renameio.WithTempDir(dir), renameio.WithStaticPermissions(0o600)); err != nil {
			return writeError(dir, "create a temp file for the unreadable lines", err)
		}
		defer bad.Cleanup()
	}

	ow := bufio.NewWriterSize(out, 1<<20)
	var bw *bufio.Writer
	if bad != nil {
		bw = bufio.NewWriterSize(bad, 64<<10)
	}
	size := h.report.Size
	lr := newLineReader(io.NewSectionReader(f, 0, size), 0, 1<<20)
	n := 0
	for {
		l, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(s.path, err)
		}
		var class lineClass
		switch {
		case !l.complete && h.tornBlank:
			class = lineBlank
		case !l.complete:
			class = lineBad
		case n >= len(h.classes):
			return fmt.Errorf("history file %s: changed while it was being compacted; nothing was changed, try again", s.path)
		default:
			class = h.classes[n]
			n++
		}
		switch class {
		case lineKeep:
			ow.Write(l.data)
			ow.WriteByte('\n')
			rep.LinesAfter++
			rep.SizeAfter += l.length + 1
		case lineBad:
			if l.tooLong {
				_, err = io.Copy(bw, io.NewSectionReader(f, l.start, l.length))
			} else {
				_, err = bw.Write(l.data)
			}
			if err == nil {
				err = bw.WriteByte('\n')
			}
			if err != nil {
				return writeError(rep.Corrupt, "write the unreadable lines aside", err)
			}
		}
	}
	if n != len(h.classes) {
		return fmt.Errorf("history file %s: changed while it was being compacted; nothing was changed, try again", s.path)
	}
	if err := ow.Flush(); err != nil {
		return writeError(out.Name(), "write the compacted history", err)
	}
	if err := out.Sync(); err != nil {
		return writeError(out.Name(), "flush the compacted history to disk (fsync)", err)
	}
	if bad != nil {
		if err := bw.Flush(); err != nil {
			return writeError(rep.Corrupt, "write the unreadable lines aside", err)
		}
		if err := bad.CloseAtomicallyReplace(); err != nil {
			return writeError(rep.Corrupt, "write the unreadable lines aside", err)
		}
		if err := durable.SyncDir(dir); err != nil {
			return writeError(dir, "flush the history folder to disk (fsync)", err)
		}
	}
	rep.Backup = s.backupPath()
	if err := s.keepBackup(f, size); err != nil {
		return err
	}
	if err := out.CloseAtomicallyReplace(); err != nil {
		return writeError(s.path, "replace the history with its compacted copy", err)
	}
	if err := durable.SyncDir(dir); err != nil {
		return writeError(dir, "flush the history folder to disk (fsync)", err)
	}
	rep.Rewritten = true
	return nil
}

// keepBackup makes <path>.bak the current file: a hard link where the file
// system has them, a copy where it has not.
func (s *Store) keepBackup(f *os.File, size int64) error {
	bak := s.backupPath()
	if err := os.Remove(bak); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return writeError(bak, "replace the previous backup", err)
	}
	if os.Link(s.path, bak) == nil {
		return nil
	}
	pf, err := renameio.NewPendingFile(bak, renameio.WithTempDir(filepath.Dir(bak)), renameio.WithStaticPermissions(0o600))
	if err != nil {
		return writeError(bak, "back up the history", err)
	}
	defer pf.Cleanup()
	if _, err := io.Copy(pf, io.NewSectionReader(f, 0, size)); err != nil {
		return writeError(bak, "back up the history", err)
	}
	if err := pf.CloseAtomicallyReplace(); err != nil {
		return writeError(bak, "back up the history", err)
	}
	return nil
}

// tempFiles lists what an interrupted compaction may have left: renameio's
// temp files for the history, its backup and its .corrupt- files, named
// "." + the target's name + decimal digits.
func (s *Store) tempFiles() []string {
	dir := filepath.Dir(s.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := "." + filepath.Base(s.path)
	var out []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stem := strings.TrimRight(rest, "0123456789")
		if stem == rest {
			continue
		}
		if stem == "" || stem == ".bak" || strings.HasPrefix(stem, ".corrupt-") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// removeTempFiles deletes leftover temp files. The caller holds the lock, so
// no compaction is writing one right now.
func (s *Store) removeTempFiles() []string {
	var removed []string
	for _, p := range s.tempFiles() {
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
