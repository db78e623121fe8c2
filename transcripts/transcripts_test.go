package transcripts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/transcripts"
)

func open(t *testing.T, hist string) *transcripts.Ledger {
	t.Helper()
	l, err := transcripts.OpenLedger(hist)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// write writes and checks what Write found and did.
func write(t *testing.T, l *transcripts.Ledger, path, data, id, format string, force bool, want transcripts.State, wrote bool) {
	t.Helper()
	st, w, err := l.Write(context.Background(), path, []byte(data), id, format, force)
	if err != nil || st != want || w != wrote {
		t.Fatalf("Write %s (%s %s, force %v) = %v, wrote %v, %v; want %v, wrote %v", filepath.Base(path), id, format, force, st, w, err, want, wrote)
	}
}

func content(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNeverOverwritesWhatItDidNotWrite goes through the lives of a
// transcript next to its audio: written once, found current on the next
// run, replaced by a newer job's while nobody touched it, kept once the
// user edited it, and a file of the user's own never touched, unless forced.
func TestNeverOverwritesWhatItDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "state", "history.jsonl")
	os.MkdirAll(filepath.Dir(hist), 0o700)
	srt := filepath.Join(dir, "rec", "talk.srt")
	l := open(t, hist)

	write(t, l, srt, "one", "id1", "srt", false, transcripts.Absent, true)
	if content(t, srt) != "one" {
		t.Fatal("not written")
	}
	// The next run, in another process.
	l = open(t, hist)
	write(t, l, srt, "one", "id1", "srt", false, transcripts.Current, false)
	// A newer job of the same recording (other options): ours, unchanged.
	write(t, l, srt, "two", "id2", "srt", false, transcripts.Ours, true)
	if content(t, srt) != "two" {
		t.Fatal("ours was not replaced")
	}
	// The user fixes a word; a later job's transcript does not replace it.
	time.Sleep(10 * time.Millisecond) // a new mtime on coarse clocks
	os.WriteFile(srt, []byte("two, fixed"), 0o644)
	l = open(t, hist)
	write(t, l, srt, "three", "id3", "srt", false, transcripts.Changed, false)
	if content(t, srt) != "two, fixed" {
		t.Fatal("an edited transcript was overwritten")
	}
	write(t, l, srt, "three", "id3", "srt", true, transcripts.Changed, true)
	if content(t, srt) != "three" {
		t.Fatal("--force did not overwrite")
	}

	// A file of the user's own.
	vtt := filepath.Join(dir, "rec", "talk.vtt")
	os.WriteFile(vtt, []byte("mine"), 0o644)
	write(t, l, vtt, "WEBVTT", "id3", "vtt", false, transcripts.Foreign, false)
	if content(t, vtt) != "mine" {
		t.Fatal("a file fwbatch did not write was overwritten")
	}
	// Touched but the same bytes: still ours.
	later := time.Now().Add(time.Hour)
	os.Chtimes(srt, later, later)
	write(t, l, srt, "four", "id4", "srt", false, transcripts.Ours, true)

	// A symlink is nobody's to write through.
	link := filepath.Join(dir, "rec", "talk.txt")
	os.Symlink(filepath.Join(dir, "elsewhere.txt"), link)
	write(t, l, link, "text", "id4", "txt", false, transcripts.Foreign, false)
	if _, err := os.Stat(filepath.Join(dir, "elsewhere.txt")); !os.IsNotExist(err) {
		t.Fatal("written through a symlink")
	}
}

// TestLedgerLost: without the ledger, fwbatch's own files are anyone's:
// kept, except one holding exactly what would be written, which is
// current (and recorded again).
func TestLedgerLost(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.jsonl")
	srt := filepath.Join(dir, "talk.srt")
	write(t, open(t, hist), srt, "one", "id1", "srt", false, transcripts.Absent, true)
	os.Remove(transcripts.LedgerPath(hist))
	l := open(t, hist)
	write(t, l, srt, "one", "id1", "srt", false, transcripts.Current, false)
	write(t, l, srt, "one", "id1", "srt", false, transcripts.Current, false)
	os.Remove(transcripts.LedgerPath(hist))
	write(t, open(t, hist), srt, "two", "id2", "srt", false, transcripts.Foreign, false)
	if data, _ := os.ReadFile(transcripts.LedgerPath(hist)); strings.Count(string(data), "\n") != 0 {
		t.Fatalf("a foreign file was recorded: %s", data)
	}
}

// TestTwoProcessesWriteOneFile: several ledgers (as processes) write the
// same transcript at once: one writes it, the others find it current; none
// fails, and the file is whole.
func TestTwoProcessesWriteOneFile(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.jsonl")
	srt := filepath.Join(dir, "talk.srt")
	data := strings.Repeat("1\n00:00:00,000 --> 00:00:01,000\nhello\n\n", 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrote := 0
	for range 6 {
		l := open(t, hist)
		wg.Go(func() {
			st, w, err := l.Write(context.Background(), srt, []byte(data), "id1", "srt", false)
			if err != nil || (st != transcripts.Absent && st != transcripts.Current) {
				t.Errorf("Write = %v, %v", st, err)
			}
			if w {
				mu.Lock()
				wrote++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wrote != 1 || content(t, srt) != data {
		t.Fatalf("%d wrote it; the file holds %d bytes", wrote, len(content(t, srt)))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".talk") {
			t.Errorf("a temp file was left: %s", e.Name())
		}
	}
}

// TestLedgerDamaged: an unreadable line is reported in one line naming the
// file, and the file it named is then not overwritten.
func TestLedgerDamaged(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.jsonl")
	srt := filepath.Join(dir, "talk.srt")
	write(t, open(t, hist), srt, "one", "id1", "srt", false, transcripts.Absent, true)
	// The line cut short and mangled, and a half line at the end.
	lp := transcripts.LedgerPath(hist)
	data, _ := os.ReadFile(lp)
	os.WriteFile(lp, append(append([]byte("{not json\n"), data[:len(data)-20]...), '\n'), 0o600)
	l := open(t, hist)
	if w := l.Warning(); !strings.Contains(w, lp) || !strings.Contains(w, "2 unreadable lines") {
		t.Fatalf("warning %q", w)
	}
	write(t, l, srt, "two", "id2", "srt", false, transcripts.Foreign, false)
}

// TestLedgerCompact: a ledger of mostly superseded lines is rewritten with
// one line per file, and still knows every file.
func TestLedgerCompact(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.jsonl")
	l := open(t, hist)
	for i := range 1300 {
		write(t, l, filepath.Join(dir, fmt.Sprintf("t%d.txt", i%3)), fmt.Sprint(i), fmt.Sprint("id", i), "txt", false, []transcripts.State{transcripts.Ours, transcripts.Absent}[map[bool]int{true: 1, false: 0}[i < 3]], true)
	}
	if err := l.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(transcripts.LedgerPath(hist))
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Fatalf("%d lines after compaction, want 3", n)
	}
	l = open(t, hist)
	write(t, l, filepath.Join(dir, "t0.txt"), "1299", "id1299", "txt", false, transcripts.Current, false)
	write(t, l, filepath.Join(dir, "t1.txt"), "x", "idx", "txt", false, transcripts.Ours, true)
}
