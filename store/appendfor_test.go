package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestAppendForDecidesOnWhatOthersWrote: several stores on one file (as
// several processes are) record a finding once: each decides under the
// lock on the submission as the file holds it, appends of the others
// included, not on what it read earlier.
func TestAppendForDecidesOnWhatOthersWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const id = "20261128T140959.123456Z-1a2b3c"
	if err := first.Append(context.Background(),
		Event{Kind: KindStarted, ID: id, File: "/r/a.wav"},
		Event{Kind: KindSubmitted, ID: id, BatchID: "b1", AccountID: "acct"}); err != nil {
		t.Fatal(err)
	}
	// Every process saw the job pending before any of them asked.
	completed := func(cur *Submission) ([]Event, error) {
		if cur == nil {
			t.Error("the submission is not in the file")
			return nil, nil
		}
		if cur.ServerStatus == "completed" {
			return nil, nil
		}
		return []Event{{Kind: KindStatus, ID: id, Status: "completed", ResultPath: "/r/results/x.json"}}, nil
	}
	var wg sync.WaitGroup
	for range 8 {
		st, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := st.AppendFor(context.Background(), id, completed); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	h, err := first.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := h.Report().Events; n != 3 {
		t.Fatalf("%d events in the file, want started, submitted and one status", n)
	}
	if s := h.Get(id); s.ServerStatus != "completed" || s.ResultPath != "/r/results/x.json" {
		t.Fatalf("folded: %+v", s)
	}
	// A store that decided before keeps up with appends made since.
	if err := first.Append(context.Background(), Event{Kind: KindStatus, ID: id, Status: "expired"}); err != nil {
		t.Fatal(err)
	}
	var seen string
	if err := first.AppendFor(context.Background(), id, func(cur *Submission) ([]Event, error) {
		seen = cur.ServerStatus
		return nil, nil
	}); err != nil || seen != "expired" {
		t.Fatalf("decided on status %q (err %v), want the one appended last", seen, err)
	}
}

// TestAppendIfSeesEveryoneElse: stores on one file (as processes are) that
// each start an upload of a file unless one of it is in the file already
// start exactly one between them, because each decides under the lock on
// the whole history, the others' appends included; At walks the
// submissions in the order of Submissions.
func TestAppendIfSeesEveryoneElse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	startUnlessThere := func(st *Store, id string) error {
		return st.AppendIf(context.Background(), func(h *History) ([]Event, error) {
			for i := range h.Len() {
				if h.At(i).File == "/r/a.wav" {
					return nil, nil
				}
			}
			return []Event{{Kind: KindStarted, ID: id, File: "/r/a.wav"}}, nil
		})
	}
	var wg sync.WaitGroup
	for i := range 8 {
		st, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		// Each has read the file before the others wrote.
		if _, err := st.Current("none"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if err := startUnlessThere(st, fmt.Sprintf("20261128T140959.12345%dZ-1a2b3c", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st, _ := Open(path)
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 1 || h.Report().Events != 1 {
		t.Fatalf("%d submissions, %d events: want one started between the eight", h.Len(), h.Report().Events)
	}
	subs := h.Submissions()
	for i := range h.Len() {
		if h.At(i) != subs[i] {
			t.Fatalf("At(%d) is not Submissions()[%d]", i, i)
		}
	}
}
