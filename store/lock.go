package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
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
//
// It polls, with a growing, jittered delay, rather than blocking in
// flock(2): a blocked flock cannot be cancelled, and a waiter left behind
// after a timeout would later take the lock for a moment, or even recreate
// a lock file removed meanwhile. Nobody holds the lock for more than a
// write and an fsync, or a compaction, so polling costs little.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	lp := s.lockPath()
	fl := flock.New(lp, flock.SetPermissions(0o600))
	start := time.Now()
	delay := time.Millisecond
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, writeError(lp, "create or lock the history lock file", err)
		}
		if ok {
			writeHolder(lp)
			return func() { _ = fl.Unlock() }, nil
		}
		wait := min(delay/2+rand.N(delay), s.lockTimeout-time.Since(start))
		if wait <= 0 {
			h := readHolder(lp)
			return nil, &LockedError{Path: lp, PID: h.PID, Host: h.Host, Since: h.Time, Waited: time.Since(start)}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("history lock %s: %w", lp, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
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
