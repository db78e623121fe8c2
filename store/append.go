package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fwbatch/fwbatch/internal/durable"
)

// Append writes evs at the end of the history, one line and one write each,
// under the lock, and fsyncs. It fills V, Time (UTC), Host and PID where they
// are zero, and refuses events without an ID or with an unknown Kind.
//
// nil means every event is on disk. After an error some of them may still be
// there (the disk can fail after the write), so callers treat an error as
// "not recorded" and must not, for example, start an upload. ctx bounds the
// wait for the lock only: once it is held, the events are written, so that
// an outcome reached while shutting down is still recorded.
func (s *Store) Append(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	lines, err := encodeEvents(evs)
	if err != nil {
		return err
	}
	return s.appendLocked(ctx, func(af *appendFile) error { return af.write(lines) })
}

// AppendFor appends the events decide returns about submission id, deciding
// under the lock on that submission as the file holds it then — other
// processes' appends included — so that what one process found out (a
// job's status, a saved result) is not recorded again by another that
// asked at the same time. decide gets nil when the file has no event of id.
// It may do work that must not be done twice (saving a result) before it
// returns; no events appends nothing, and an error appends nothing and is
// returned.
//
// The store keeps a folded copy of the file for this: loaded on the first
// call (outside the lock), then brought up to date under the lock a tail
// at a time, as Refresh does, so a call costs about what Append does.
func (s *Store) AppendFor(ctx context.Context, id string, decide func(cur *Submission) ([]Event, error)) error {
	return s.AppendIf(ctx, func(h *History) ([]Event, error) { return decide(h.Get(id)) })
}

// AppendIf is AppendFor for a decision that needs more than one
// submission: decide sees the whole history as the file holds it under the
// lock, other processes' appends included. fwbatch uses it to start an
// upload only when no other process has started one of the same recording
// meanwhile. decide must not keep h, which changes after it returns, nor
// call the store.
func (s *Store) AppendIf(ctx context.Context, decide func(h *History) ([]Event, error)) error {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if s.view == nil {
		h, err := s.Load()
		if err != nil {
			return err
		}
		s.view = h
	}
	return s.appendLocked(ctx, func(af *appendFile) error {
		if _, err := s.Refresh(s.view); err != nil {
			return err
		}
		evs, err := decide(s.view)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			af.nothing = true
			return nil
		}
		lines, err := encodeEvents(evs)
		if err != nil {
			return err
		}
		return af.write(lines)
	})
}

// Current returns submission id as the file holds it now (nil when the
// file has no event of it), from the same folded copy AppendFor decides on,
// brought up to date without the lock. It lets a caller see that it has
// nothing new to record without taking the lock (what it reads may be out
// of date by the time it acts: decide again under AppendFor before
// writing). The Submission is a snapshot.
func (s *Store) Current(id string) (*Submission, error) {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if s.view == nil {
		h, err := s.Load()
		if err != nil {
			return nil, err
		}
		s.view = h
	} else if _, err := s.Refresh(s.view); err != nil {
		return nil, err
	}
	return s.view.Get(id), nil
}

// write appends lines, one write each; a write that fails part way is
// taken back.
func (af *appendFile) write(lines [][]byte) error {
	for _, line := range lines {
		n, err := af.f.Write(line)
		if err != nil {
			af.dropPartial(int64(n))
			return writeError(af.s.path, "append to the history file", err)
		}
		af.end += int64(n)
	}
	return nil
}

// CheckWritable takes the lock and opens the history for appending, as
// Append would, without writing an event. Callers run it before an upload:
// an upload whose outcome cannot be recorded must not start. Like Append, it
// ends a torn last line and moves aside a file with nothing readable.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.appendLocked(ctx, func(*appendFile) error { return nil })
}

// appendLocked takes the lock, opens the history for appending (ending a
// torn last line, moving aside a file with nothing readable), lets write
// add its lines, and syncs before it reports success.
func (s *Store) appendLocked(ctx context.Context, write func(*appendFile) error) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	af, err := s.openForAppend()
	if err != nil {
		return err
	}
	defer af.f.Close()
	if err := write(af); err != nil {
		return err
	}
	if af.nothing {
		return nil // no byte written: nothing to flush
	}
	return af.sync()
}

// appendFile is the history opened for appending, under the lock.
type appendFile struct {
	s       *Store
	f       *os.File
	end     int64 // where the file ends after the last complete write
	created bool
	nothing bool // the caller wrote nothing (AppendFor decided so): no fsync
}

// openForAppend opens the history for appending; the caller holds the lock.
// It creates a missing file, refuses a file of a newer format, moves a file
// with nothing readable aside, and ends a torn last line with a newline so
// that the torn bytes stay, as a line of their own, and the next line is
// whole.
func (s *Store) openForAppend() (*appendFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	af, err := s.openOrCreate()
	if err != nil {
		return nil, err
	}
	if af.end == 0 {
		return af, nil
	}
	fi, err := af.f.Stat()
	if err != nil {
		af.f.Close()
		return nil, writeError(s.path, "inspect the history file", err)
	}
	version, unreadable, err := s.headVersion(af.f, fi)
	if err != nil {
		af.f.Close()
		return nil, writeError(s.path, "read the history file's first line", err)
	}
	if unreadable {
		af.f.Close()
		if _, err := s.moveAside(); err != nil {
			return nil, err
		}
		return s.openOrCreate()
	}
	if version > FormatVersion {
		af.f.Close()
		return nil, &NewerFormatError{Path: s.path, Version: version}
	}
	var last [1]byte
	if _, err := af.f.ReadAt(last[:], af.end-1); err != nil {
		af.f.Close()
		return nil, writeError(s.path, "read the history file's last byte", err)
	}
	if last[0] != '\n' {
		if _, err := af.f.Write([]byte{'\n'}); err != nil {
			af.f.Close()
			return nil, writeError(s.path, "end the torn last line of the history file", err)
		}
		af.end++
	}
	return af, nil
}

func (s *Store) openOrCreate() (*appendFile, error) {
	af := &appendFile{s: s}
	var err error
	af.f, err = os.OpenFile(s.path, os.O_RDWR|os.O_APPEND, 0)
	if errors.Is(err, fs.ErrNotExist) {
		af.f, err = os.OpenFile(s.path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
		af.created = true
	}
	if err != nil {
		return nil, writeError(s.path, "open the history file for writing", err)
	}
	if af.end, err = af.f.Seek(0, io.SeekEnd); err != nil {
		af.f.Close()
		return nil, writeError(s.path, "open the history file for writing", err)
	}
	return af, nil
}

// dropPartial removes the n bytes of a write that failed part way: they were
// written under the lock by this call and never acknowledged, and a torn
// line helps nobody. If the file is not the size this process expects,
// someone else wrote to it and it is left alone.
func (af *appendFile) dropPartial(n int64) {
	if n == 0 {
		return
	}
	if fi, err := af.f.Stat(); err == nil && fi.Size() == af.end+n {
		_ = af.f.Truncate(af.end)
	}
}

func (af *appendFile) sync() error {
	if err := af.s.syncFile(af.f); err != nil {
		return writeError(af.s.path, "flush the history file to disk (fsync)", err)
	}
	if af.created {
		if err := durable.SyncDir(filepath.Dir(af.s.path)); err != nil {
			return writeError(filepath.Dir(af.s.path), "flush the history folder to disk (fsync)", err)
		}
	}
	return nil
}

// headCache remembers a file's first readable line, so that each Append
// checks the format version by reading that one line again (it can only
// change if the file is replaced) instead of scanning for it.
type headCache struct {
	fi      os.FileInfo
	off     int64
	line    []byte // with its newline
	version int
}

// headVersion returns the format version of the file's first readable line.
// That line decides the file's version: a fwbatch that writes a newer format
// rewrites the file before appending to it. unreadable says the file holds
// bytes but not one readable line. The caller holds s.mu and the lock.
func (s *Store) headVersion(f *os.File, fi os.FileInfo) (version int, unreadable bool, err error) {
	c := &s.head
	if c.fi != nil && os.SameFile(c.fi, fi) && fi.Size() >= c.off+int64(len(c.line)) {
		buf := make([]byte, len(c.line))
		if _, err := f.ReadAt(buf, c.off); err == nil && bytes.Equal(buf, c.line) {
			return c.version, false, nil
		}
	}
	*c = headCache{}
	dec := newDecoder()
	var ev Event
	lr := newLineReader(io.NewSectionReader(f, 0, fi.Size()), 0, 64<<10)
	for {
		l, err := lr.next()
		if err == io.EOF {
			return 0, unreadable, nil
		}
		if err != nil {
			return 0, false, err
		}
		if !l.complete {
			// Under the lock, a torn last line is what a crash left: it
			// counts as unreadable bytes.
			return 0, unreadable || l.tooLong || !isBlank(l.data), nil
		}
		if l.tooLong {
			unreadable = true
			continue
		}
		switch class, _ := dec.decode(l.data, &ev); class {
		case lineEvent, lineNewer:
			*c = headCache{fi: fi, off: l.start, line: append(slices.Clone(l.data), '\n'), version: ev.V}
			return ev.V, false, nil
		case lineBad:
			unreadable = true
		}
	}
}

// moveAside renames a history file with nothing readable to
// <path>.corrupt-<UTC time>, which Load then reports in Report.SetAside.
// The caller holds the lock.
func (s *Store) moveAside() (string, error) {
	dst := s.corruptName(time.Now())
	if err := os.Rename(s.path, dst); err != nil {
		return "", writeError(s.path, "move the unreadable history file aside to "+dst, err)
	}
	if err := durable.SyncDir(filepath.Dir(s.path)); err != nil {
		return "", writeError(filepath.Dir(s.path), "flush the history folder to disk (fsync)", err)
	}
	return dst, nil
}

// corruptName picks an unused <path>.corrupt-<UTC time> name. The caller
// holds the lock, so nobody else picks one meanwhile.
func (s *Store) corruptName(t time.Time) string {
	base := s.corruptPrefix() + t.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// encodeEvents checks and fills evs and encodes each as one line. Every line
// is decoded again before it is written: the store never writes a line it
// would not read back.
func encodeEvents(evs []Event) ([][]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <, > and & readable in messages and paths
	dec := newDecoder()
	var back Event
	lines := make([][]byte, 0, len(evs))
	for i := range evs {
		ev := evs[i] // the caller's events stay as they were
		invalid := func(format string, a ...any) error {
			return fmt.Errorf("%w %d of %d (kind %q, id %q): %s", ErrInvalidEvent, i+1, len(evs), ev.Kind, ev.ID, fmt.Sprintf(format, a...))
		}
		switch {
		case ev.ID == "":
			return nil, invalid("no submission id")
		case !ev.Kind.valid():
			return nil, invalid("unknown kind")
		case ev.V != 0 && ev.V != FormatVersion:
			return nil, invalid("format version %d; this fwbatch writes %d", ev.V, FormatVersion)
		}
		ev.V = FormatVersion
		if ev.Time.IsZero() {
			ev.Time = time.Now()
		}
		ev.Time = ev.Time.UTC()
		if ev.MTime != nil {
			t := ev.MTime.UTC()
			ev.MTime = &t
		}
		if ev.Host == "" {
			ev.Host = hostname()
		}
		if ev.PID == 0 {
			ev.PID = os.Getpid()
		}
		buf.Reset()
		if err := enc.Encode(&ev); err != nil {
			return nil, invalid("%v", err)
		}
		line := bytes.Clone(buf.Bytes())
		if len(line)-1 > maxLine {
			return nil, invalid("%d bytes encoded, more than a history line may hold (%d)", len(line)-1, maxLine)
		}
		if class, reason := dec.decode(line[:len(line)-1], &back); class != lineEvent {
			return nil, invalid("would not read back (%s)", reason)
		}
		lines = append(lines, line)
	}
	return lines, nil
}
