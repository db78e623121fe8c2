package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestCompact(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var lines []string
	add := func(ev Event) {
		l, err := encodeEvents([]Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSuffix(string(l[0]), "\n"))
	}
	for i := range 5 {
		id := fmt.Sprint("s", i)
		add(Event{Kind: KindStarted, ID: id, File: "/f" + id})
		if i == 1 {
			lines = append(lines, "garbage in the middle", "")
		}
		add(Event{Kind: KindSubmitted, ID: id, BatchID: "b" + id})
		for _, st := range []string{"QUEUED", "RUNNING", "RUNNING", "COMPLETED"} {
			add(Event{Kind: KindStatus, ID: id, Status: st})
		}
	}
	add(Event{Kind: KindStatus, ID: "s0", Status: "COMPLETED", ResultPath: "/r0"})
	add(Event{Kind: KindStatus, ID: "s0", Status: "COMPLETED", Message: "seen again"})
	lines = append(lines, "\x00\x00\x00 also garbage")
	old := strings.Join(lines, "\n") + "\n" + `{"v":1,"kind":"hid` // torn tail
	os.WriteFile(s.Path(), []byte(old), 0o600)
	before, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}

	rep, err := s.Compact(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := &CompactReport{Path: s.Path(), Rewritten: true, Backup: s.Path() + ".bak", Corrupt: rep.Corrupt,
		Submissions: 5, LinesBefore: len(lines) + 1, LinesAfter: 5*3 + 1, Dropped: 5*3 + 1, Unreadable: 3, Blank: 1,
		SizeBefore: int64(len(old)), SizeAfter: rep.SizeAfter}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("report\n got %+v\nwant %+v", rep, want)
	}
	if !strings.HasPrefix(rep.Corrupt, s.Path()+".corrupt-") {
		t.Errorf("corrupt file %q", rep.Corrupt)
	}
	if b, _ := os.ReadFile(rep.Corrupt); string(b) != "garbage in the middle\n\x00\x00\x00 also garbage\n{\"v\":1,\"kind\":\"hid\n" {
		t.Errorf("corrupt file holds %q", b)
	}
	if b, _ := os.ReadFile(rep.Backup); string(b) != old {
		t.Error("the backup is not the old file")
	}
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != rep.SizeAfter {
		t.Errorf("compacted file: %v %v (report says %d bytes)", fi, err, rep.SizeAfter)
	}
	after, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after.Submissions(), before.Submissions()) {
		t.Error("compaction changed the submissions")
	}
	if r := after.Report(); r.BadCount != 0 || r.Torn || r.Lines != rep.LinesAfter || !slices.Equal(r.SetAside, []string{rep.Corrupt}) {
		t.Errorf("after: %+v", r)
	}
	if got := after.Get("s0"); got.ResultPath != "/r0" || got.Message != "seen again" {
		t.Errorf("s0: %+v", got)
	}

	// Again: nothing left to do, and the file stays as it is.
	raw, _ := os.ReadFile(s.Path())
	rep, err = s.Compact(ctx)
	if err != nil || rep.Rewritten || rep.LinesAfter != rep.LinesBefore {
		t.Fatalf("second compaction: %+v %v", rep, err)
	}
	if now, _ := os.ReadFile(s.Path()); !bytes.Equal(now, raw) {
		t.Error("a compaction with nothing to do changed the file")
	}
	// Appends go on in the new file.
	if err := s.Append(ctx, Event{Kind: KindHidden, ID: "s4"}); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.Load(); !h.Get("s4").Hidden || h.Len() != 5 {
		t.Error("append after compaction lost")
	}
}

func TestCompactRefusesNewerFormat(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	old := lineStartedA + "\n" + lineStartedA + "\n" + `{"v":2,"kind":"started","id":"n"}` + "\n"
	os.WriteFile(s.Path(), []byte(old), 0o600)
	if _, err := s.Compact(context.Background()); !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("got %v", err)
	}
	if b, _ := os.ReadFile(s.Path()); string(b) != old {
		t.Error("file changed")
	}
}

func TestCompactRemovesTempFiles(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dir := filepath.Dir(s.Path())
	os.WriteFile(s.Path(), []byte(lineStartedA+"\n"), 0o600)
	leftovers := []string{".history.jsonl123", ".history.jsonl.corrupt-20260101T000000Z456", ".history.jsonl.corrupt-20260101T000000Z-2789", ".history.jsonl.bak42"}
	keep := []string{".history.jsonl.swp", ".history.jsonl", "history.jsonl.corrupt-20260101T000000Z", ".history.jsonlx1", "history.jsonl.bak"}
	for _, n := range append(slices.Clone(leftovers), keep...) {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	h, _ := s.Load()
	rep, err := s.MaybeCompact(context.Background(), h)
	if err != nil || rep == nil || rep.Rewritten {
		t.Fatalf("%+v %v", rep, err)
	}
	var removed []string
	for _, p := range rep.TempRemoved {
		removed = append(removed, filepath.Base(p))
	}
	slices.Sort(removed)
	slices.Sort(leftovers)
	if !slices.Equal(removed, leftovers) {
		t.Errorf("removed %v, want %v", removed, leftovers)
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if rep, err := s.MaybeCompact(context.Background(), h); rep != nil || err != nil {
		t.Errorf("nothing to do: %+v %v", rep, err)
	}
}

func TestMaybeCompact(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var evs []Event
	for i := range compactMinEvents / 10 {
		id := fmt.Sprint("s", i)
		evs = append(evs, Event{Kind: KindStarted, ID: id}, Event{Kind: KindSubmitted, ID: id, BatchID: "b"})
		for range 16 {
			evs = append(evs, Event{Kind: KindStatus, ID: id, Status: "RUNNING"})
		}
	}
	lines, err := encodeEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Path(), bytes.Join(lines, nil), 0o600)
	h, _ := s.Load()
	rep, err := s.MaybeCompact(ctx, h)
	if err != nil || rep == nil || !rep.Rewritten || rep.LinesAfter != 3*h.Len() {
		t.Fatalf("%+v %v", rep, err)
	}
	h2, _ := s.Load()
	if !reflect.DeepEqual(h2.Submissions(), h.Submissions()) {
		t.Error("submissions changed")
	}
	if rep, err := s.MaybeCompact(ctx, h2); rep != nil || err != nil {
		t.Errorf("compacted again: %+v %v", rep, err)
	}
}

// FuzzLoadAndCompact: any file loads without changing, its report adds up,
// and compaction keeps every submission as it was and every unreadable
// line, byte for byte, in the .corrupt- file.
func FuzzLoadAndCompact(f *testing.F) {
	for _, b := range fixtureFiles() {
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(lineStartedA + "\n" + lineSubmittedA + "\n\n" + lineSubmittedA + "\nbad\n" + lineStartedB + "\n" + lineStartedB[:10]))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Open(filepath.Join(t.TempDir(), "history.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(s.Path(), data, 0o600)
		before, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if now, _ := os.ReadFile(s.Path()); !bytes.Equal(now, data) {
			t.Fatal("Load changed the file")
		}
		r := before.Report()
		lines := bytes.Count(data, []byte("\n"))
		if r.Lines != lines || r.Torn != (len(data) > 0 && data[len(data)-1] != '\n') || r.Size != int64(len(data)) ||
			r.Events+r.Blank+r.BadCount+r.NewerCount != r.Lines {
			t.Fatalf("report does not add up: %+v", r)
		}
		rep, err := s.Compact(context.Background())
		if r.NewerCount > 0 {
			if !errors.Is(err, ErrNewerFormat) {
				t.Fatalf("compacted a file with newer lines: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		after, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after.Submissions(), before.Submissions()) {
			t.Fatal("compaction changed the submissions")
		}
		var unreadable []byte
		for _, l := range bytes.SplitAfter(data, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			var ev Event
			body := bytes.TrimSuffix(l, []byte("\n"))
			if class, _ := newDecoder().decode(body, &ev); class == lineBad || (l[len(l)-1] != '\n' && class != lineBlank) {
				unreadable = append(append(unreadable, body...), '\n')
			}
		}
		var aside []byte
		if rep.Corrupt != "" {
			aside, _ = os.ReadFile(rep.Corrupt)
		}
		if !bytes.Equal(aside, unreadable) {
			t.Fatalf("set aside %q, want %q", aside, unreadable)
		}
		if rep.Rewritten {
			if bak, _ := os.ReadFile(rep.Backup); !bytes.Equal(bak, data) {
				t.Fatal("the backup is not the old file")
			}
		}
	})
}
