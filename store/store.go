package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Store is one history file and the files kept beside it: the lock file
// (<file>.lock), the previous generation (<file>.bak), unreadable bytes set
// aside (<file>.corrupt-<UTC time>) and saved results (results/).
//
// A Store is safe for concurrent use by several goroutines, and any number of
// processes may use the same file at once: writers serialise on the lock file,
// readers need no lock.
type Store struct {
	path string

	// lockTimeout bounds the wait for another process's lock. Tests shorten it.
	lockTimeout time.Duration

	// syncFile flushes the history file to disk: (*os.File).Sync. Tests
	// wrap it to check that every append is on disk before it returns.
	syncFile func(*os.File) error

	mu sync.Mutex
	// head caches the file's first readable line so that Append can check
	// the format version without reading more than that line again.
	head headCache

	// view is the file folded, for AppendFor's decisions under the lock;
	// viewMu guards it (s.mu is taken inside the append path).
	viewMu sync.Mutex
	view   *History
}

const defaultLockTimeout = 5 * time.Second

// DefaultPath is where the history lives unless --history says otherwise:
// $FWBATCH_HISTORY if set, else $XDG_STATE_HOME/fwbatch/history.jsonl, else
// ~/.local/state/fwbatch/history.jsonl.
func DefaultPath() (string, error) {
	if p := os.Getenv("FWBATCH_HISTORY"); p != "" {
		return filepath.Abs(p)
	}
	// The XDG spec says relative values are invalid and must be ignored.
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "fwbatch", "history.jsonl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history file: cannot find the home folder (%v); set XDG_STATE_HOME or pass --history FILE", err)
	}
	return filepath.Join(home, ".local", "state", "fwbatch", "history.jsonl"), nil
}

// Open prepares the store at path: it makes the folder (0700) if missing and
// resolves a symlinked history file to its target, so that compaction
// replaces the target and not the link. It does not read the file.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("history file: empty path; pass --history FILE")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("history file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, writeError(filepath.Dir(abs), "create the history folder", err)
	}
	fi, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("history file %s: %w", abs, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("history file %s: broken symlink (%v); fix the link or pass --history FILE", abs, err)
		}
		abs = target
		if fi, err = os.Stat(abs); err == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("history file %s: not a regular file; pass --history FILE", abs)
		}
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("history file %s: not a regular file; pass --history FILE", abs)
	}
	return &Store{path: abs, lockTimeout: defaultLockTimeout, syncFile: (*os.File).Sync}, nil
}

// Path is the history file's absolute path.
func (s *Store) Path() string { return s.path }

// ResultsDir is where completed results are saved. Whoever writes there
// creates it (0700).
func (s *Store) ResultsDir() string { return filepath.Join(filepath.Dir(s.path), "results") }

func (s *Store) lockPath() string   { return s.path + ".lock" }
func (s *Store) backupPath() string { return s.path + ".bak" }

// corruptPrefix starts the name of every file of unreadable bytes set aside.
func (s *Store) corruptPrefix() string { return s.path + ".corrupt-" }
