package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDefaultPath(t *testing.T) {
	// Not parallel: it sets environment variables (t.Setenv).
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		history, state, want string
	}{
		{"", "", filepath.Join(home, ".local/state/fwbatch/history.jsonl")},
		{"", "/xdg/state", "/xdg/state/fwbatch/history.jsonl"},
		{"", "relative/state", filepath.Join(home, ".local/state/fwbatch/history.jsonl")}, // invalid per XDG: ignored
		{"/elsewhere/h.jsonl", "/xdg/state", "/elsewhere/h.jsonl"},
	}
	for _, tt := range tests {
		t.Setenv("FWBATCH_HISTORY", tt.history)
		t.Setenv("XDG_STATE_HOME", tt.state)
		if got, err := DefaultPath(); err != nil || got != tt.want {
			t.Errorf("FWBATCH_HISTORY=%q XDG_STATE_HOME=%q: %q, %v; want %q", tt.history, tt.state, got, err, tt.want)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "fwbatch", "history.jsonl")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Errorf("folder: %v", err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode())
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Open created the history file")
	}
	if s.Path() != path || s.ResultsDir() != filepath.Join(dir, "state", "fwbatch", "results") {
		t.Errorf("paths %q %q", s.Path(), s.ResultsDir())
	}

	// A symlinked history: compaction must replace the target, not the link.
	real := filepath.Join(dir, "real.jsonl")
	os.WriteFile(real, nil, 0o600)
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(real, link)
	if s, err := Open(link); err != nil || s.Path() != real {
		t.Errorf("symlink: %v %v", s, err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder as history: %v", err)
	}
	if _, err := Open(""); err == nil {
		t.Error("empty path accepted")
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppendFillsAndValidates(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	local := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))
	evs := []Event{{Kind: KindStarted, ID: "a", MTime: &local}, {Kind: KindHidden, ID: "a", Time: local, Host: "other", PID: 7}}
	before := time.Now().UTC()
	if err := s.Append(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	if evs[0].V != 0 || !evs[0].Time.IsZero() || evs[0].MTime != &local || evs[0].MTime.Location().String() != "X" {
		t.Error("Append changed the caller's events")
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatalf("history file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("history file mode %v, want 0600", fi.Mode())
	}
	h, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Get("a")
	host, _ := os.Hostname()
	if sub.Started.Before(before) || sub.Started.Location() != time.UTC || sub.Host != host || sub.PID != os.Getpid() ||
		!sub.MTime.Equal(local) || sub.MTime.Location() != time.UTC {
		t.Errorf("filled fields: %+v", sub)
	}
	if !sub.Hidden || !sub.Updated.Equal(local) || sub.Updated.Location() != time.UTC {
		t.Errorf("given fields: %+v", sub)
	}
	raw, _ := os.ReadFile(s.Path())
	if !strings.HasPrefix(string(raw), `{"v":1,"kind":"started","id":"a","time":"`) || strings.Count(string(raw), "\n") != 2 {
		t.Errorf("file:\n%s", raw)
	}

	for _, bad := range []Event{{Kind: KindStarted}, {ID: "x"}, {ID: "x", Kind: "archived"}, {ID: "x", Kind: KindHidden, V: 2},
		{ID: "x", Kind: KindFailed, Message: strings.Repeat("m", maxLine)}} {
		err := s.Append(ctx, Event{Kind: KindHidden, ID: "ok"}, bad)
		if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "2 of 2") {
			t.Errorf("%+.60v: %v", bad, err)
		}
	}
	if raw2, _ := os.ReadFile(s.Path()); string(raw2) != string(raw) {
		t.Error("a refused append wrote something")
	}
	if err := s.Append(ctx); err != nil {
		t.Error(err)
	}
}

func TestAppendHealsTornLine(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	os.WriteFile(s.Path(), []byte(lineStartedA+"\n"+lineSubmittedA[:30]), 0o600)
	if err := s.Append(context.Background(), Event{Kind: KindHidden, ID: idA}); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Load()
	r := h.Report()
	if r.Torn || r.Lines != 3 || r.Events != 2 || r.BadCount != 1 || r.Bad[0].Line != 2 || r.Bad[0].Length != 30 {
		t.Errorf("%+v", r)
	}
	if !h.Get(idA).Hidden {
		t.Error("the new event was not read")
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.Path()); err != nil || fi.Size() != 0 {
		t.Errorf("CheckWritable: %v %v", fi, err)
	}
	os.WriteFile(s.Path(), []byte(lineStartedA+"\n"+lineStartedB), 0o600)
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(s.Path()); string(b) != lineStartedA+"\n"+lineStartedB+"\n" {
		t.Errorf("CheckWritable did not end the torn line: %q", b)
	}
	// Nothing readable (a torn line alone counts, under the lock): moved aside.
	os.WriteFile(s.Path(), []byte(lineStartedA), 0o600)
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Load()
	if r := h.Report(); r.Size != 0 || len(r.SetAside) != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestVersionCheckFollowsTheFile(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	if err := s.Append(ctx, Event{Kind: KindHidden, ID: "a"}); err != nil {
		t.Fatal(err)
	}
	// A newer fwbatch rewrites the file (a new inode) in its own format.
	tmp := s.Path() + ".new"
	os.WriteFile(tmp, []byte(`{"v":3,"kind":"x","id":"a"}`+"\n"), 0o600)
	os.Rename(tmp, s.Path())
	var nf *NewerFormatError
	err := s.Append(ctx, Event{Kind: KindHidden, ID: "b"})
	if !errors.As(err, &nf) || nf.Version != 3 || !strings.Contains(err.Error(), "upgrade fwbatch") {
		t.Fatalf("append to a newer file: %v", err)
	}
	// Replaced in place, same size, same inode: the cached head is re-read.
	os.WriteFile(s.Path(), []byte(`{"v":1,"kind":"hidden","id":"a"}`+"\n"), 0o600)
	if err := s.Append(ctx, Event{Kind: KindHidden, ID: "b"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Path(), []byte(`{"v":2,"kind":"hidden","id":"a"}`+"\n"), 0o600)
	if err := s.Append(ctx, Event{Kind: KindHidden, ID: "c"}); !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("after an in-place rewrite: %v", err)
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	unlock, err := s.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	other, _ := Open(s.Path())
	other.lockTimeout = 50 * time.Millisecond
	err = other.Append(context.Background(), Event{Kind: KindHidden, ID: "a"})
	var le *LockedError
	host, _ := os.Hostname()
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || le.PID != os.Getpid() || le.Host != host {
		t.Fatalf("got %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "held by pid ") || !strings.Contains(msg, s.Path()+".lock") {
		t.Errorf("message %q", msg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	other.lockTimeout = time.Hour
	if err := other.Append(ctx, Event{Kind: KindHidden, ID: "a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	for errno, want := range map[syscall.Errno]string{
		syscall.EROFS:  "read-only file system; the disk is mounted read-only: pass --history FILE on a writable disk",
		syscall.ENOSPC: "no space left on device; free space or pass --history FILE",
		syscall.EDQUOT: "quota exceeded; free space within your quota",
		syscall.EACCES: "permission denied; check the owner and mode",
		syscall.EIO:    "input/output error; the disk may be failing",
		syscall.EBUSY:  "pass --history FILE",
	} {
		err := writeError("/x/history.jsonl", "append to the history file", &fs.PathError{Op: "write", Path: "/x/history.jsonl", Err: errno})
		if msg := err.Error(); !strings.HasPrefix(msg, "/x/history.jsonl: cannot append to the history file: ") || !strings.Contains(msg, want) {
			t.Errorf("%v: %q", errno, msg)
		}
		if !errors.Is(err, errno) {
			t.Errorf("%v: not unwrapped", errno)
		}
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	h, err := s.Load() // no file yet
	if err != nil || h.Len() != 0 {
		t.Fatal(err)
	}
	if changed, err := s.Refresh(h); changed || err != nil {
		t.Fatalf("missing file: %v %v", changed, err)
	}
	other, _ := Open(s.Path())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(other.Append(ctx, Event{Kind: KindStarted, ID: "x"}, Event{Kind: KindStarted, ID: "a"}))
	if changed, err := s.Refresh(h); !changed || err != nil || h.Get("a") == nil {
		t.Fatalf("after the first append: %v %v", changed, err)
	}
	if changed, err := s.Refresh(h); changed || err != nil {
		t.Fatalf("nothing new: %v %v", changed, err)
	}

	// Only the new tail is read: spoil the first line in place, then append.
	// A full reload would now report line 1 as unreadable.
	snapshot := h.Get("a")
	f, _ := os.OpenFile(s.Path(), os.O_WRONLY, 0)
	f.WriteAt([]byte("#"), 0)
	f.Close()
	must(other.Append(ctx, Event{Kind: KindSubmitted, ID: "a", BatchID: "b1"}))
	if changed, err := s.Refresh(h); !changed || err != nil {
		t.Fatal(changed, err)
	}
	if r := h.Report(); r.BadCount != 0 || r.Lines != 3 || h.Get("a").BatchID != "b1" {
		t.Fatalf("tail refresh: %+v %+v", r, h.Get("a"))
	}
	if snapshot.Outcome != OutcomeUploading || snapshot.BatchID != "" || snapshot == h.Get("a") {
		t.Error("Refresh changed a Submission it had handed out")
	}

	// A torn tail is skipped, then read once whole.
	f, _ = os.OpenFile(s.Path(), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"v":1,"kind":"hidden",`)
	if changed, err := s.Refresh(h); !changed || err != nil || !h.Report().Torn || h.Report().TornLine != 4 {
		t.Fatalf("torn: %v %v %+v", changed, err, h.Report())
	}
	f.WriteString(`"id":"a"}` + "\n")
	f.Close()
	if changed, err := s.Refresh(h); !changed || err != nil || h.Report().Torn || !h.Get("a").Hidden {
		t.Fatalf("completed: %v %v %+v", changed, err, h.Report())
	}

	// Replaced (compaction, which moves the spoiled line aside): a full reload.
	if _, err := other.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.Refresh(h); !changed || err != nil || h.Report().BadCount != 0 || h.Report().Lines != 3 ||
		len(h.Report().SetAside) != 1 || h.Get("x") != nil || !h.Get("a").Hidden {
		t.Fatalf("after compaction: %v %v %+v", changed, err, h.Report())
	}
	// Shrunk: a full reload.
	os.WriteFile(s.Path(), []byte(`{"v":1,"kind":"hidden","id":"z"}`+"\n"), 0o600)
	if changed, err := s.Refresh(h); !changed || err != nil || h.Len() != 1 || h.Get("z") == nil {
		t.Fatalf("after shrinking: %v %v", changed, err)
	}
	// Same size, same inode, different bytes: the tail check notices.
	os.WriteFile(s.Path(), []byte(`{"v":1,"kind":"hidden","id":"y"}`+"\n"), 0o600)
	os.Chtimes(s.Path(), time.Now(), time.Now().Add(time.Hour))
	if changed, err := s.Refresh(h); !changed || err != nil || h.Get("y") == nil || h.Get("z") != nil {
		t.Fatalf("rewritten in place: %v %v", changed, err)
	}
	// Gone: empty.
	os.Remove(s.Path())
	if changed, err := s.Refresh(h); !changed || err != nil || h.Len() != 0 {
		t.Fatalf("after removal: %v %v", changed, err)
	}
}

func TestReportString(t *testing.T) {
	t.Parallel()
	r := Report{Path: "/h", BadCount: 2, Bad: []BadLine{{Line: 3}, {Line: 9}}, NewerCount: 1, NewerVersion: 2,
		Torn: true, TornLine: 12, SetAside: []string{"/h.corrupt-1"}}
	want := "history file /h: 2 unreadable lines kept (3, 9); 1 line of a newer format (v2) not read: upgrade fwbatch; " +
		"unfinished last line 12 skipped; unreadable bytes set aside in /h.corrupt-1"
	if got := r.String(); got != want || r.Clean() {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if (Report{Path: "/h", Lines: 3, Events: 3}).String() != "" || !(Report{}).Clean() {
		t.Error("a clean report says something")
	}
	r = Report{Path: "/h", Unreadable: true, Torn: true, BadCount: 1}
	if got := r.String(); got != "history file /h: nothing readable: the next write moves it aside" {
		t.Errorf("unreadable: %q", got)
	}
}

func TestReportIsACopy(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	os.WriteFile(s.Path(), []byte("bad\n"+lineStartedA+"\n"), 0o600)
	h, _ := s.Load()
	r := h.Report()
	r.Bad[0].Line = 99
	if h.Report().Bad[0].Line != 1 {
		t.Error("Report shares its slices with the History")
	}
	if !reflect.DeepEqual(h.Report().Bad, []BadLine{{Line: 1, Offset: 0, Length: 3, Reason: h.Report().Bad[0].Reason}}) {
		t.Errorf("%+v", h.Report().Bad)
	}
}

// Goroutines of one process, on one Store or two, never lose each other's
// appends.
func TestConcurrentAppendsInOneProcess(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	s2, _ := Open(s.Path())
	ctx := context.Background()
	errs := make(chan error, 8)
	for g := range 8 {
		st := s
		if g%2 == 1 {
			st = s2
		}
		go func() {
			for i := range 50 {
				if err := st.Append(ctx, Event{Kind: KindStarted, ID: fmt.Sprint(g, "-", i)}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.Load()
	if err != nil || h.Len() != 400 || h.Report().Lines != 400 || !h.Report().Clean() {
		t.Fatalf("%v: %d submissions, %+v", err, h.Len(), h.Report())
	}
}

// Append reads a line and a byte of the history, never the whole of it:
// its cost must not grow with the history.
func TestAppendDoesNotReadTheHistory(t *testing.T) {
	// Not parallel: it reads this process's I/O counters (/proc/self/io).
	s := newStore(t)
	writeSampleHistory(t, s.Path(), 20_000)
	ctx := context.Background()
	ev := Event{Kind: KindHidden, ID: "x"}
	if err := s.Append(ctx, ev); err != nil { // the first one finds the first line
		t.Fatal(err)
	}
	before := bytesRead(t)
	for range 10 {
		if err := s.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := bytesRead(t) - before; n > 10*4096 {
		t.Errorf("10 appends read %d bytes", n)
	}
}
