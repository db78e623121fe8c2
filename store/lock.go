package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// The lock is flock(2) on <history>.lock, never on the data file: the kernel
// drops it when its holder dies, however it dies, so a crash never leaves a
// stale lock behind. The lock file itself stays (removing it would let two
// processes lock two different inodes); it only ever holds the last holder's
// name, for error messages.

// holder is what the lock file says about whoever took the lock last.
type holder struct {
	PID  int       `json:"pid"`
	Host string    `json:"host"`
	Time time.Time `json:"time"`
}

var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
})

// lock takes the history's inter-process lock, waiting at most
// s.lockTimeout, and returns the function that releases it.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	lp := s.lockPath()
	fl := flock.New(lp, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, writeError(lp, "create or lock the history lock file", err)
	}
	if !ok {
		if err := s.waitLock(ctx, fl); err != nil {
			return nil, err
		}
	}
	writeHolder(lp)
	return func() { _ = fl.Unlock() }, nil
}

// waitLock blocks in flock(2) rather than polling: the kernel wakes a waiter
// when the lock is released, so a process appending in a tight loop cannot
// starve another one.
func (s *Store) waitLock(ctx context.Context, fl *flock.Flock) error {
	start := time.Now()
	got := make(chan error, 1)
	go func() { got <- fl.Lock() }()
	timer := time.NewTimer(s.lockTimeout)
	defer timer.Stop()
	select {
	case err := <-got:
		if err != nil {
			return writeError(fl.Path(), "lock the history lock file", err)
		}
		return nil
	case <-timer.C:
	case <-ctx.Done():
	}
	// A blocked flock(2) cannot be cancelled: leave it to finish, and give
	// the lock straight back when it does.
	go func() {
		if <-got == nil {
			_ = fl.Unlock()
		}
	}()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("history lock %s: %w", fl.Path(), err)
	}
	h := readHolder(fl.Path())
	return &LockedError{Path: fl.Path(), PID: h.PID, Host: h.Host, Since: h.Time, Waited: time.Since(start)}
}

// writeHolder records this process in the lock file. It is best effort: the
// lock is what matters, the name only helps someone who waits for it.
func writeHolder(lp string) {
	b, err := json.Marshal(holder{PID: os.Getpid(), Host: hostname(), Time: time.Now().UTC()})
	if err != nil {
		return
	}
	f, err := os.OpenFile(lp, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return
	}
	_, _ = f.Write(append(b, '\n'))
	_ = f.Close()
}

func readHolder(lp string) holder {
	var h holder
	f, err := os.Open(lp)
	if err != nil {
		return h
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil || json.Unmarshal(b, &h) != nil {
		return holder{}
	}
	return h
}
