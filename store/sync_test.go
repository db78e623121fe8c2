package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAppendIsOnDiskWhenItReturns: Append fsyncs the history file after its
// last write and before it returns, for a new file and for one that already
// holds events: "started" must be on disk before an upload's first byte.
// Sync is watched through the store's syncFile seam; what the test records is
// the file's size at each fsync.
func TestAppendIsOnDiskWhenItReturns(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// The seam is the real fsync unless a test replaces it.
	if reflect.ValueOf(s.syncFile).Pointer() != reflect.ValueOf((*os.File).Sync).Pointer() {
		t.Fatal("Open does not set the history's fsync to (*os.File).Sync")
	}
	var synced []int64 // the file's size at each fsync of the history file
	s.syncFile = func(f *os.File) error {
		if f.Name() == s.Path() {
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			synced = append(synced, fi.Size())
		}
		return f.Sync()
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, evs := range [][]Event{sampleEvents(0, t0)[:1], sampleEvents(0, t0)[1:], sampleEvents(1, t0)} {
		synced = nil
		if err := s.Append(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if len(synced) == 0 || synced[len(synced)-1] != fi.Size() {
			t.Fatalf("append %d returned with %d bytes in the file, fsynced at sizes %v: its events may not be on disk",
				i+1, fi.Size(), synced)
		}
	}
}

// TestAppendReportsFsyncFailure: when the disk refuses the fsync, Append
// fails naming the file and fsync, so no upload starts on a record that may
// not survive a crash.
func TestAppendReportsFsyncFailure(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	s.syncFile = func(*os.File) error { return syscall.EIO }
	err = s.Append(context.Background(), sampleEvents(0, time.Now())[0])
	if err == nil || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "fsync") || !strings.Contains(err.Error(), s.Path()) {
		t.Fatalf("Append with a failing fsync: %v, want an error naming %s and fsync", err, s.Path())
	}
}
