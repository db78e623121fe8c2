package folder

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/recording"
)

// TestSettler, on a fake clock: a file is still once its size and mtime
// have not changed for the settle time; the first look believes the mtime
// (unless it is in the future), a change seen later starts the wait again
// from when it was seen.
func TestSettler(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := newSettler(10 * time.Second)
	f := func(size int64, mtime time.Time) recording.File {
		return recording.File{Path: "/drop/call.wav", Size: size, MTime: mtime}
	}
	check := func(file recording.File, now time.Time, want bool, wantAt time.Time) {
		t.Helper()
		still, at := s.still(file, now)
		if still != want || !at.Equal(wantAt) {
			t.Fatalf("at %s: still %v (at %s), want %v (at %s)", now.Sub(t0), still, at.Sub(t0), want, wantAt.Sub(t0))
		}
	}
	// Copied an hour ago: still at the first look.
	check(f(100, t0.Add(-time.Hour)), t0, true, t0.Add(-time.Hour+10*time.Second))

	s = newSettler(10 * time.Second)
	// Being written: each look sees it grow.
	check(f(100, t0.Add(-time.Second)), t0, false, t0.Add(9*time.Second))
	check(f(200, t0.Add(2*time.Second)), t0.Add(2*time.Second), false, t0.Add(12*time.Second))
	check(f(300, t0.Add(4*time.Second)), t0.Add(5*time.Second), false, t0.Add(15*time.Second))
	// Stopped: still once 10 s have passed since the last change was seen.
	check(f(300, t0.Add(4*time.Second)), t0.Add(14*time.Second), false, t0.Add(15*time.Second))
	check(f(300, t0.Add(4*time.Second)), t0.Add(15*time.Second), true, t0.Add(15*time.Second))
	// Touched (same size, new mtime): the wait starts again.
	check(f(300, t0.Add(20*time.Second)), t0.Add(20*time.Second), false, t0.Add(30*time.Second))

	// An mtime in the future (another clock): the wait starts from the look.
	s = newSettler(10 * time.Second)
	check(f(100, t0.Add(time.Hour)), t0, false, t0.Add(10*time.Second))
	check(f(100, t0.Add(time.Hour)), t0.Add(10*time.Second), true, t0.Add(10*time.Second))

	// No settle time: everything is still.
	s = newSettler(0)
	check(f(100, t0), t0, true, t0)

	// Forgotten files start over.
	s = newSettler(10 * time.Second)
	s.still(f(100, t0.Add(time.Hour)), t0)
	s.forget(map[string]bool{})
	if len(s.seen) != 0 {
		t.Fatal("forget kept a file no scan found")
	}
}

// TestScan: folders give their audio files, sorted, in subfolders with
// recursive; dot-files and dot-folders are left out; a file named twice
// is listed once; a file named directly is itself, whatever its name.
func TestScan(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a.wav", "b.MP3", "notes.txt", ".tmp.flac", "._a.wav", "sub/c.flac", ".hidden/d.wav", "sub/deeper/e.ogg"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644)
	}
	names := func(fs []found) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rel)
		}
		return out
	}
	got, err := scan([]string{dir}, false)
	if err != nil || !slices.Equal(names(got), []string{"a.wav", "b.MP3"}) {
		t.Fatalf("flat: %v %v", names(got), err)
	}
	got, err = scan([]string{dir, filepath.Join(dir, "a.wav"), filepath.Join(dir, "notes.txt")}, true)
	if err != nil || !slices.Equal(names(got), []string{"a.wav", "b.MP3", "sub/c.flac", "sub/deeper/e.ogg", "notes.txt"}) {
		t.Fatalf("recursive: %v %v", names(got), err)
	}
	if got[0].Shown != filepath.Join(dir, "a.wav") || got[0].Size != 1 || got[0].MTime.IsZero() {
		t.Errorf("a.wav: %+v", got[0])
	}
}
