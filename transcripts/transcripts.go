// Package transcripts writes transcript files where the user keeps them
// (next to the audio, or in a folder of their choosing) and keeps the
// record of what it wrote, so that fwbatch never overwrites a file it did
// not write itself, nor one it wrote and the user changed since. `fwbatch
// sync` writes through it; the rules are in README.md.
package transcripts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fwbatch/fwbatch/internal/durable"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// Entry is one transcript file fwbatch wrote: a line of the ledger.
type Entry struct {
	V      int       `json:"v"`
	Path   string    `json:"path"` // absolute
	Size   int64     `json:"size"`
	MTime  int64     `json:"mtime_ns"` // Unix nanoseconds, as written
	SHA256 string    `json:"sha256"`   // of the content, hex
	ID     string    `json:"id"`       // the submission whose result it is
	Format string    `json:"format"`   // srt, vtt, txt, tsv, json; or the response format, written as returned
	Time   time.Time `json:"time"`
}

const ledgerVersion = 1

// LedgerPath is where the ledger of the history at historyPath lives.
func LedgerPath(historyPath string) string { return historyPath + ".written" }

// Ledger is the record of the transcript files fwbatch wrote outside its
// results folder: <history>.written, JSON Lines, one Entry a line, only
// ever appended (under <history>.written.lock, each line fsynced), the last
// line of a path the one that counts. It is a file of its own, not a
// history event: an older fwbatch reading a history with an event kind it
// does not know would report that line unreadable.
//
// Losing it is safe: fwbatch then treats its own files as anyone's and
// does not overwrite them (a file holding exactly what it would write is
// recognised as such, and recorded again).
type Ledger struct {
	path string

	mu      sync.Mutex
	entries map[string]Entry // by path
	offset  int64            // how much of the file was read
	read    os.FileInfo      // the file read: one compacted since is another file
	lines   int
	warning string
}

const ledgerLockWait = 10 * time.Second

// OpenLedger reads the ledger of the history at historyPath. A missing file
// is an empty ledger; unreadable lines are skipped and said in Warning (the
// files they named are then treated as anyone's, never overwritten).
func OpenLedger(historyPath string) (*Ledger, error) {
	l := &Ledger{path: LedgerPath(historyPath), entries: map[string]Entry{}}
	if err := l.refresh(); err != nil {
		return nil, err
	}
	return l, nil
}

// Path is the ledger file's path.
func (l *Ledger) Path() string { return l.path }

// Warning says in one line what was wrong with the file, or "".
func (l *Ledger) Warning() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warning
}

// refresh reads the lines appended since the last read; the caller holds
// l.mu or has not shared l yet. A file shorter than what was read (rewritten
// by a compaction) is read again from the start.
func (l *Ledger) refresh() error {
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("transcript ledger %s: %w", l.path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("transcript ledger %s: %w", l.path, err)
	}
	if fi.Size() < l.offset || l.read != nil && !os.SameFile(fi, l.read) {
		l.entries, l.offset, l.lines = map[string]Entry{}, 0, 0
	}
	l.read = fi
	if fi.Size() == l.offset {
		return nil
	}
	if _, err := f.Seek(l.offset, io.SeekStart); err != nil {
		return fmt.Errorf("transcript ledger %s: %w", l.path, err)
	}
	r := bufio.NewReader(f)
	bad := 0
	for {
		line, _ := r.ReadBytes('\n')
		if len(line) == 0 || line[len(line)-1] != '\n' {
			break // the end, or a line being written: read it next time
		}
		l.offset += int64(len(line))
		l.lines++
		var e Entry
		if json.Unmarshal(line, &e) != nil || e.V != ledgerVersion || e.Path == "" {
			if len(bytes.TrimSpace(line)) > 0 {
				bad++
			}
			continue
		}
		l.entries[e.Path] = e
	}
	if bad > 0 {
		l.warning = fmt.Sprintf("transcript ledger %s: %d unreadable %s skipped; the files they named are not overwritten", l.path, bad, plural(bad, "line", "lines"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// State is what is at a transcript's destination, as far as writing it
// goes.
type State int

const (
	// Absent: nothing there; it can be written.
	Absent State = iota
	// Current: it holds what would be written (fwbatch wrote it for this
	// submission and format, unchanged since; or it holds these very
	// bytes): nothing to do.
	Current
	// Ours: fwbatch wrote it, from another job or format, and nobody
	// changed it since: it may be replaced.
	Ours
	// Changed: fwbatch wrote it, and it was changed since (edited by
	// hand): kept unless forced.
	Changed
	// Foreign: fwbatch did not write it (or it is not a regular file):
	// kept unless forced.
	Foreign
)

func (s State) String() string {
	return [...]string{"absent", "current", "ours", "changed", "foreign"}[s]
}

// Look says what is at path, for a transcript of submission id in format
// holding data. It reads the file only when its size or mtime say it may
// have changed since fwbatch wrote it, or when the ledger does not know it.
func (l *Ledger) Look(path string, data []byte, id, format string) (State, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.look(path, data, id, format)
}

func (l *Ledger) look(path string, data []byte, id, format string) (State, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Absent, nil
	case err != nil:
		return Foreign, fmt.Errorf("%s: %w", path, err)
	case !fi.Mode().IsRegular():
		return Foreign, nil
	}
	e, known := l.entries[path]
	if !known {
		// Another fwbatch may have written it since this one read the ledger.
		if err := l.refresh(); err != nil {
			return Foreign, err
		}
		e, known = l.entries[path]
	}
	same := known && e.Size == fi.Size() && e.MTime == fi.ModTime().UnixNano()
	if !same && (known || fi.Size() == int64(len(data))) {
		content, err := os.ReadFile(path)
		if err != nil {
			return Foreign, fmt.Errorf("%s: %w", path, err)
		}
		if bytes.Equal(content, data) {
			return Current, nil
		}
		same = known && hashOf(content) == e.SHA256
	}
	switch {
	case !known:
		return Foreign, nil
	case !same:
		return Changed, nil
	case e.ID == id && e.Format == format:
		return Current, nil
	}
	return Ours, nil
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Write puts data at path, a transcript of submission id in format, and
// records it, unless Look says it is there already (Current) or it is not
// fwbatch's to replace (Changed, Foreign; force replaces them too). It
// returns the state it found, and whether it wrote. A new file is made
// whole before it appears (a temp file, fsync, a hard link that fails if
// another file took the name meanwhile); a replaced one is renamed over.
// Files are made 0644 less the umask, like any file the user makes.
func (l *Ledger) Write(ctx context.Context, path string, data []byte, id, format string, force bool) (State, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	state, err := l.look(path, data, id, format)
	if err != nil {
		return state, false, err
	}
	switch state {
	case Current:
		if e, ok := l.entries[path]; !ok || e.ID != id || e.Format != format {
			// The very bytes, not recorded as these: record them, so that
			// the next look need not read the file.
			if fi, err := os.Stat(path); err == nil {
				return state, false, l.record(ctx, path, data, fi, id, format)
			}
		}
		return state, false, nil
	case Changed, Foreign:
		if !force {
			return state, false, nil
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return state, false, fmt.Errorf("writing %s: %w", path, err)
	}
	if state == Absent {
		err = createNew(path, data)
		if errors.Is(err, fs.ErrExist) {
			// Another process took the name meanwhile: judge what is there.
			state, err = l.look(path, data, id, format)
			return state, false, err
		}
	} else {
		err = renameio.WriteFile(path, data, 0o644, renameio.WithTempDir(dir))
		if err == nil {
			err = durable.SyncDir(dir)
		}
	}
	if err != nil {
		return state, false, fmt.Errorf("writing %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return state, true, fmt.Errorf("writing %s: %w", path, err)
	}
	return state, true, l.record(ctx, path, data, fi, id, format)
}

// createNew writes path whole, never over an existing file: a temp file
// beside it, fsynced, then linked to the name (which fails if the name is
// taken). On a file system without hard links, an exclusive create.
func createNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(dir), renameio.WithPermissions(0o644))
	if err != nil {
		return err
	}
	defer t.Cleanup() // the temp name; the link stays
	if _, err := t.Write(data); err != nil {
		return err
	}
	if err := t.Sync(); err != nil {
		return err
	}
	err = os.Link(t.Name(), path)
	var le *os.LinkError
	if errors.As(err, &le) && (errors.Is(le.Err, syscall.EPERM) || errors.Is(le.Err, syscall.ENOTSUP) || errors.Is(le.Err, syscall.EXDEV) || errors.Is(le.Err, syscall.EMLINK)) {
		return createExclusive(path, data)
	}
	if err != nil {
		return err
	}
	return durable.SyncDir(dir)
}

func createExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // ours, and incomplete
	}
	return err
}

// record appends what was written to the ledger, under its lock, fsynced.
func (l *Ledger) record(ctx context.Context, path string, data []byte, fi os.FileInfo, id, format string) error {
	e := Entry{V: ledgerVersion, Path: path, Size: fi.Size(), MTime: fi.ModTime().UnixNano(), SHA256: hashOf(data), ID: id, Format: format, Time: time.Now().UTC()}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	unlock, err := l.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err == nil {
		var end int64
		end, err = f.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = f.Write(append(line, '\n'))
		}
		if err == nil {
			err = f.Sync()
		}
		if err == nil && end == l.offset {
			// Nobody else wrote since the last read: this line is read.
			if l.read, err = f.Stat(); err == nil {
				l.offset, l.lines = end+int64(len(line))+1, l.lines+1
			}
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("%s was written, but the transcript ledger %s could not record it (%w): fwbatch will not overwrite it", path, l.path, err)
	}
	l.entries[path] = e
	return nil
}

func (l *Ledger) lock(ctx context.Context) (func(), error) {
	lctx, cancel := context.WithTimeout(ctx, ledgerLockWait)
	defer cancel()
	fl := flock.New(l.path+".lock", flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(lctx, 20*time.Millisecond)
	if !ok {
		if err == nil {
			err = lctx.Err()
		}
		return nil, fmt.Errorf("transcript ledger %s: the lock is busy (%w)", l.path, err)
	}
	return func() { fl.Unlock() }, nil
}

// maxSpare is how many superseded lines the ledger may hold beyond one per
// path before Compact rewrites it.
const maxSpare = 1000

// Compact rewrites the ledger with one line per path (the one that counts)
// when most of its lines are superseded: atomically, under its lock, with
// what other processes appended included. It writes nothing otherwise.
func (l *Ledger) Compact(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines <= 2*len(l.entries)+maxSpare {
		return nil
	}
	unlock, err := l.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if err := l.refresh(); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, e := range l.entries {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(append(line, '\n'))
	}
	if err := renameio.WriteFile(l.path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("transcript ledger %s: not compacted: %w", l.path, err)
	}
	// The next read starts over on the new file.
	l.read, l.offset, l.lines = nil, 0, 0
	l.entries = map[string]Entry{}
	return l.refresh()
}
