package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// maxLine bounds the bytes kept in memory for one line. Append never writes
// a longer line; a longer one in the file is unreadable, and is counted
// without being held in memory.
const maxLine = 16 << 20

// rawLine is one line of the file. data aliases the reader's buffer and is
// only valid until the next call to next.
type rawLine struct {
	data     []byte // without the newline; nil when tooLong
	start    int64  // offset of the first byte
	length   int64  // without the newline
	complete bool   // it ended in a newline
	tooLong  bool
}

type lineReader struct {
	r    *bufio.Reader
	off  int64  // where the next line starts
	long []byte // a line longer than r's buffer
}

func newLineReader(r io.Reader, off int64, size int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, size), off: off}
}

// reset makes lr read r, which starts at offset off, with the same buffer.
func (lr *lineReader) reset(r io.Reader, off int64) {
	lr.r.Reset(r)
	lr.off = off
}

// next returns the next line, or io.EOF when there is none. A last line
// without a newline comes back with complete false.
func (lr *lineReader) next() (rawLine, error) {
	l := rawLine{start: lr.off}
	frag, err := lr.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// Longer than the buffer: gather it, up to maxLine.
		lr.long = append(lr.long[:0], frag...)
		n := int64(len(frag))
		for err == bufio.ErrBufferFull {
			frag, err = lr.r.ReadSlice('\n')
			n += int64(len(frag))
			if len(lr.long) <= maxLine {
				lr.long = append(lr.long, frag...)
			}
		}
		frag = lr.long
		if n > maxLine+1 {
			l.tooLong = true
		}
		l.length = n
	} else {
		l.length = int64(len(frag))
	}
	switch {
	case err == io.EOF && l.length == 0:
		return l, io.EOF
	case err != nil && err != io.EOF:
		return l, err
	}
	lr.off += l.length
	l.complete = err == nil
	if l.complete {
		l.length--
	}
	if l.tooLong {
		l.tooLong = l.length > maxLine
	}
	if !l.tooLong {
		l.data = frag[:l.length]
	}
	return l, nil
}

// scan folds the lines from r, which starts at h.offset and holds size
// bytes, into h.
func (h *History) scan(r io.Reader, size int64) error {
	rep := &h.report
	rep.Torn, rep.TornLine, rep.TornBytes, h.tornBlank = false, 0, 0, false
	var end int64
	var err error
	if size >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		end, err = h.scanParallel(r)
	} else {
		end, err = h.scanSerial(r, min(max(size, 4<<10), 1<<20))
	}
	if err != nil {
		return err
	}
	rep.Size = end
	rep.Unreadable = rep.Size > 0 && rep.Events == 0 && rep.NewerCount == 0 &&
		(rep.BadCount > 0 || rep.Torn && !h.tornBlank)
	return nil
}

func (h *History) scanSerial(r io.Reader, bufSize int64) (end int64, err error) {
	lr := newLineReader(r, h.offset, int(bufSize))
	for {
		l, err := lr.next()
		if err == io.EOF {
			return lr.off, nil
		}
		if err != nil {
			return 0, err
		}
		class, reason := lineBad, tooLongReason
		if l.complete && !l.tooLong {
			class, reason = h.dec.decode(l.data, &h.ev)
		}
		h.take(&l, class, reason, &h.ev)
	}
}

const tooLongReason = "longer than 16 MiB"

// take counts one line and folds it if it is an event; a line without a
// newline is the torn tail.
func (h *History) take(l *rawLine, class lineClass, reason string, ev *Event) {
	rep := &h.report
	if !l.complete {
		rep.Torn, rep.TornLine, rep.TornBytes = true, rep.Lines+1, l.length
		h.tornBlank = !l.tooLong && isBlank(l.data)
		return
	}
	rep.Lines++
	h.offset = l.start + l.length + 1
	if h.classes != nil {
		h.classes = append(h.classes, class)
	}
	switch class {
	case lineEvent:
		rep.Events++
		h.apply(ev, int32(rep.Lines))
	case lineBlank:
		rep.Blank++
	case lineBad:
		rep.BadCount++
		if len(rep.Bad) < maxListed {
			rep.Bad = append(rep.Bad, BadLine{Line: rep.Lines, Offset: l.start, Length: l.length, Reason: reason})
		}
	case lineNewer:
		rep.NewerCount++
		if len(rep.Newer) < maxListed {
			rep.Newer = append(rep.Newer, rep.Lines)
		}
		rep.NewerVersion = max(rep.NewerVersion, ev.V)
	}
}

// Big files are decoded by decodeWorkers goroutines while the calling one
// folds, in file order: decoding is most of the work of a Load, and this
// machine has two cores. Lines travel in batches; at most maxInFlight
// batches exist at a time, which bounds the memory the pipeline adds.
const (
	parallelMin   = 8 << 20
	decodeWorkers = 2
	maxInFlight   = 2*decodeWorkers + 2
	batchLines    = 2048
	batchBytes    = 1 << 20
)

type batch struct {
	buf   []byte // the lines' bytes, one after the other
	lines []batchLine
	evs   []Event // decoded, one per line
	ready chan struct{}
	err   error // reading stopped here
	end   int64 // where reading stopped
}

type batchLine struct {
	raw    rawLine // raw.data is nil: the bytes are buf[from:to]
	from   int
	to     int
	class  lineClass
	reason string
}

func (h *History) scanParallel(r io.Reader) (end int64, err error) {
	free := make(chan *batch, maxInFlight)
	for range maxInFlight {
		free <- &batch{evs: make([]Event, batchLines)}
	}
	ordered := make(chan *batch, maxInFlight)
	work := make(chan *batch, maxInFlight)

	lr := newLineReader(r, h.offset, 1<<20)
	go func() { // read
		defer close(work)
		defer close(ordered)
		b := <-free
		b.buf, b.lines, b.err, b.ready = b.buf[:0], b.lines[:0], nil, make(chan struct{})
		for {
			l, err := lr.next()
			if err != nil {
				if err != io.EOF {
					b.err = err
				}
				break
			}
			from := len(b.buf)
			b.buf = append(b.buf, l.data...)
			l.data = nil
			b.lines = append(b.lines, batchLine{raw: l, from: from, to: len(b.buf)})
			if !l.complete {
				break
			}
			if len(b.lines) == batchLines || len(b.buf) >= batchBytes {
				b.end = lr.off
				ordered <- b
				work <- b
				b = <-free
				b.buf, b.lines, b.err, b.ready = b.buf[:0], b.lines[:0], nil, make(chan struct{})
			}
		}
		b.end = lr.off
		ordered <- b
		work <- b
	}()
	for range decodeWorkers {
		go func() { // decode
			d := newDecoder()
			for b := range work {
				for i := range b.lines {
					bl := &b.lines[i]
					if !bl.raw.complete || bl.raw.tooLong {
						bl.class, bl.reason = lineBad, tooLongReason
						continue
					}
					bl.class, bl.reason = d.decode(b.buf[bl.from:bl.to], &b.evs[i])
				}
				close(b.ready)
			}
		}()
	}
	for b := range ordered { // fold
		<-b.ready
		for i := range b.lines {
			bl := &b.lines[i]
			bl.raw.data = b.buf[bl.from:bl.to]
			h.take(&bl.raw, bl.class, bl.reason, &b.evs[i])
		}
		end, err = b.end, b.err
		free <- b
	}
	return end, err
}

// Load reads and folds the whole history. It takes no lock and never
// changes the file; a missing file is an empty history.
func (s *Store) Load() (*History, error) {
	h := newHistory(s.path)
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		h.report.SetAside = s.setAside()
		return h, nil
	}
	if err != nil {
		return nil, readError(s.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, readError(s.path, err)
	}
	if err := h.scan(f, fi.Size()); err != nil {
		return nil, readError(s.path, err)
	}
	if err := h.remember(f); err != nil {
		return nil, readError(s.path, err)
	}
	h.report.SetAside = s.setAside()
	return h, nil
}

// tailCheck is how many bytes before the read position Refresh compares,
// to notice a file replaced by another of the same inode number.
const tailCheck = 64

// remember notes the file's identity and the bytes just before h.offset.
func (h *History) remember(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h.fi = fi
	n := min(h.offset, tailCheck)
	h.tail = make([]byte, n)
	_, err = f.ReadAt(h.tail, h.offset-n)
	return err
}

// Refresh brings h up to date with the file. Usually it costs one stat, and
// when another process has appended, a read of the new lines only; when the
// file was replaced (compaction, moved aside) or shrank, it reloads it all.
// changed says whether anything in h changed. Submissions handed out before
// are not modified.
func (s *Store) Refresh(h *History) (changed bool, err error) {
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if h.fi == nil && h.report.Path == s.path {
			return false, nil
		}
		return s.reload(h)
	case err != nil:
		return false, readError(s.path, err)
	case h.fi == nil || h.report.Path != s.path || !os.SameFile(fi, h.fi) || fi.Size() < h.offset:
		return s.reload(h)
	case fi.Size() == h.report.Size && fi.ModTime().Equal(h.fi.ModTime()):
		return false, nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return false, readError(s.path, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return false, readError(s.path, err)
	}
	if !os.SameFile(fi, h.fi) || fi.Size() < h.offset {
		return s.reload(h)
	}
	tail := make([]byte, len(h.tail))
	if _, err := f.ReadAt(tail, h.offset-int64(len(tail))); err != nil || !bytes.Equal(tail, h.tail) {
		return s.reload(h)
	}
	if _, err := f.Seek(h.offset, io.SeekStart); err != nil {
		return false, readError(s.path, err)
	}
	before := h.report
	h.epoch++
	if err := h.scan(f, fi.Size()-h.offset); err != nil {
		return false, readError(s.path, err)
	}
	if err := h.remember(f); err != nil {
		return false, readError(s.path, err)
	}
	r := h.report
	return r.Lines != before.Lines || r.Torn != before.Torn || r.TornBytes != before.TornBytes, nil
}

func (s *Store) reload(h *History) (bool, error) {
	nh, err := s.Load()
	if err != nil {
		return false, err
	}
	*h = *nh
	return true, nil
}

// setAside lists the files of unreadable bytes kept beside the history.
func (s *Store) setAside() []string {
	entries, err := os.ReadDir(filepath.Dir(s.path))
	if err != nil {
		return nil
	}
	prefix := filepath.Base(s.corruptPrefix())
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, filepath.Join(filepath.Dir(s.path), e.Name()))
		}
	}
	slices.Sort(out)
	return out
}

// readErr is a failure to read the history, with what to do about it.
type readErr struct {
	path string
	err  error
}

func readError(path string, err error) error { return &readErr{path, err} }

func (e *readErr) Error() string {
	return fmt.Sprintf("history file %s: cannot read it: %s; %s", e.path, reason(e.err), hint(e.err))
}

func (e *readErr) Unwrap() error { return e.err }
