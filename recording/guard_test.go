package recording_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestGuardTwoProcesses: two "processes" (each its own store and client on
// one history) submit the same folder at once, each having found every
// file not done: each recording reaches the server once, whichever got to
// it first, and the other is told which submission made it needless. A
// copy of a file under another name is the same recording.
func TestGuardTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "state", "history.jsonl")
	fake := fakeapi.StartTest(t, fakeapi.Config{APIKey: "k", ReadRate: 2_000_000})
	opts := submit.Options{ResponseFormat: "srt"}
	var files []string
	for i := range 12 {
		p := filepath.Join(dir, "in", fmt.Sprintf("talk-%02d.wav", i))
		writeAudio(t, p, 40_000+i, uint64(i))
		files = append(files, p)
	}
	// talk-00 again, under another name.
	copyOf := filepath.Join(dir, "in", "copy.wav")
	writeAudio(t, copyOf, 40_000, 0)
	files = append(files, copyOf)

	var mu sync.Mutex
	skipped := map[string]int{}
	var wg sync.WaitGroup
	for range 2 {
		st, err := store.Open(hist)
		if err != nil {
			t.Fatal(err)
		}
		client, err := submit.NewClient(submit.Config{BaseURL: fake.URL(), APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.CloseIdleConnections)
		guard := recording.NewGuard(nil)
		items := make([]submit.BatchItem, len(files))
		for i, f := range files {
			items[i] = submit.BatchItem{File: f, Options: opts, Unless: guard.Unless(opts)}
		}
		wg.Go(func() {
			client.RunBatch(context.Background(), st, items, 3, func(ev submit.BatchEvent) {
				if ev.Type != submit.EventDone {
					return
				}
				switch {
				case ev.Skipped != nil:
					mu.Lock()
					skipped[ev.Item.File]++
					mu.Unlock()
				case ev.Outcome != store.KindSubmitted:
					t.Errorf("%s: %s %v", ev.Item.File, ev.Outcome, ev.Err)
				}
			})
		})
	}
	wg.Wait()

	bySHA := map[string]int{}
	for _, r := range fake.Requests() {
		if r.Status == 200 {
			bySHA[r.FileSHA256]++
		}
	}
	if len(bySHA) != 12 {
		t.Errorf("the fake has jobs of %d recordings, want 12", len(bySHA))
	}
	for sha, n := range bySHA {
		if n != 1 {
			t.Errorf("recording %s…: %d jobs, want 1", sha[:12], n)
		}
	}
	// 26 items between the two, 12 sent: 14 skipped.
	total := 0
	for _, n := range skipped {
		total += n
	}
	if total != 14 {
		t.Errorf("%d items skipped, want 14: %v", total, skipped)
	}
}

// TestGuardVerdicts: what makes a later upload needless, as DoneFor says:
// the same recording with equal options, live or of unknown outcome;
// never a failed, interrupted or other-options one. Submissions from
// before fingerprints count at their place only.
func TestGuardVerdicts(t *testing.T) {
	dir := t.TempDir()
	f := writeAudio(t, filepath.Join(dir, "talk.wav"), 5000, 7)
	fp := fingerprint(t, f.Path)
	opts := submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "segment"}
	ev := started("new", f, fp, opts)
	for _, tt := range []struct {
		name string
		evs  []store.Event
		want string // the id named, "" for none
	}{
		{"nothing", nil, ""},
		{"submitted, moved since", []store.Event{
			started("a", recording.File{Path: "/old/place.wav", Size: f.Size, MTime: f.MTime}, fp, opts), submitted("a")}, "a"},
		{"same options spelled otherwise", []store.Event{
			started("a", f, fp, submit.Options{ResponseFormat: "verbose_json"}), submitted("a")}, "a"},
		{"other options", []store.Event{started("a", f, fp, submit.Options{ResponseFormat: "srt"}), submitted("a")}, ""},
		{"failed", []store.Event{started("a", f, fp, opts), {Kind: store.KindFailed, ID: "a"}}, ""},
		{"job failed", []store.Event{started("a", f, fp, opts), submitted("a"), status("a", "failed")}, ""},
		{"unknown", []store.Event{started("a", f, fp, opts), {Kind: store.KindUnknown, ID: "a"}}, "a"},
		{"uploading, process gone", []store.Event{started("a", f, fp, opts)}, ""},
		{"another recording", []store.Event{
			started("a", f, "v1:5000:"+fmt.Sprintf("%064x", 1), opts), submitted("a")}, ""},
		{"before fingerprints, same place", []store.Event{started("a", f, "", opts), submitted("a")}, "a"},
		{"before fingerprints, elsewhere", []store.Event{
			started("a", recording.File{Path: "/old/place.wav", Size: f.Size, MTime: f.MTime}, "", opts), submitted("a")}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.jsonl")
			hw := newHistory(t, path)
			hw.add(tt.evs...)
			hw.load()
			st, _ := store.Open(path)
			var named *store.Submission
			g := recording.NewGuard(neverAlive)
			if err := st.AppendIf(context.Background(), func(h *store.History) ([]store.Event, error) {
				named = g.Unless(opts)(h, &ev)
				return nil, nil
			}); err != nil {
				t.Fatal(err)
			}
			got := ""
			if named != nil {
				got = named.ID
			}
			if got != tt.want {
				t.Fatalf("named %q, want %q", got, tt.want)
			}
		})
	}
}

// TestGuardKeepsUp: one Guard over a growing history sees what was added
// after its first look, and starts over on a file that was replaced.
func TestGuardKeepsUp(t *testing.T) {
	dir := t.TempDir()
	f := writeAudio(t, filepath.Join(dir, "talk.wav"), 5000, 7)
	fp := fingerprint(t, f.Path)
	opts := submit.Options{}
	path := filepath.Join(dir, "history.jsonl")
	st, _ := store.Open(path)
	g := recording.NewGuard(neverAlive)
	ev := started("new", f, fp, opts)
	ask := func(st *store.Store) string {
		var named *store.Submission
		if err := st.AppendIf(context.Background(), func(h *store.History) ([]store.Event, error) {
			named = g.Unless(opts)(h, &ev)
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if named == nil {
			return ""
		}
		return named.ID
	}
	other := started("other", recording.File{Path: "/x.wav", Size: 9, MTime: f.MTime}, "", opts)
	if err := st.Append(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if got := ask(st); got != "" {
		t.Fatalf("named %q in a history without the recording", got)
	}
	if err := st.Append(context.Background(), started("a", f, fp, opts), submitted("a")); err != nil {
		t.Fatal(err)
	}
	if got := ask(st); got != "a" {
		t.Fatalf("named %q after the recording was added, want a", got)
	}
	// The file replaced by another history (restored by hand).
	path2 := filepath.Join(dir, "other.jsonl")
	hw := newHistory(t, path2)
	hw.add(started("b", f, fp, opts), submitted("b"), other)
	hw.load()
	st2, _ := store.Open(path2)
	if got := ask(st2); got != "b" {
		t.Fatalf("named %q in the replaced history, want b", got)
	}
}
