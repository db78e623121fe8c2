package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestUsage: files, audio and estimated cost per month and model, from the
// submissions that got a batch id; older entries without a length are
// measured from their file when it is unchanged, and are unknown (≥)
// otherwise.
func TestUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "4:401")})
	if res := h.run("usage"); res.code != 0 || res.out != "" || !strings.Contains(oneLine(t, "empty", res.errOut), "no submission with a batch id in the history") {
		t.Errorf("empty history: %+v", res)
	}
	// This month: two files on whisper-v3, one on turbo, one refused (no
	// batch id: not counted).
	h.submitted(h.audio("hello.wav", "a.wav"), h.audio("speech.flac", "b.flac"))
	h.submitted("--endpoint", "audio-turbo", h.audio("speech.flac", "c.flac"))
	if res := h.run("submit", h.audio("speech.wav", "refused.wav")); res.code != 1 {
		t.Fatalf("the fake did not refuse the third submission: %+v", res)
	}
	// September: entries from before fwbatch recorded lengths, one whose
	// file is still there unchanged, one whose file changed since, one whose
	// file is gone; and one hidden (its job still ran).
	old := h.audio("hello.flac", "old.flac")
	changed := h.audio("hello.flac", "changed.flac")
	mtime := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range []string{old, changed} {
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(h.hist)
	if err != nil {
		t.Fatal(err)
	}
	sept := time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC)
	for i, f := range []struct {
		path  string
		size  int64
		mtime time.Time
	}{
		{old, 17115, mtime},
		{changed, 17115, mtime.Add(-time.Hour)}, // the same size, another mtime: the file changed since
		{filepath.Join(h.dir, "gone.wav"), 27320, mtime},
		{old, 17115, mtime},
	} {
		id := "old-" + string(rune('a'+i))
		mt := f.mtime
		for _, ev := range []store.Event{
			{Kind: store.KindStarted, ID: id, Time: sept, File: f.path, Size: f.size, MTime: &mt, Task: "transcribe", Endpoint: "audio-prod"},
			{Kind: store.KindSubmitted, ID: id, Time: sept, BatchID: "batch-" + id, AccountID: "acct"},
		} {
			if err := st.Append(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Append(t.Context(), store.Event{Kind: store.KindHidden, ID: "old-d"}); err != nil {
		t.Fatal(err)
	}

	month := time.Now().Format("2006-01")
	res := h.run("usage")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.errOut)
	}
	got := lines(t, res.out)
	want := [][]string{
		{"MONTH", "MODEL", "FILES", "AUDIO", "ESTIMATE"},
		// 2 × 1.705 s measured now, 2 unknown: hello.flac plays 1.705 s.
		{"2026-09", "whisper-v3", "4", "≥ 3 s", "≥ $0.000051"},
		{month, "whisper-v3", "2", "5 s", "≈ $0.000071"},
		{month, "whisper-v3-turbo", "1", "3 s", "≈ $0.000027"},
		{"total", "7", "≥ 11 s", "≥ $0.00015"},
	}
	if len(got) < len(want) {
		t.Fatalf("stdout:\n%s", res.out)
	}
	for i, w := range want {
		if cells := strings.Split(collapse(got[i]), "  "); strings.Join(cells, "|") != strings.Join(w, "|") {
			t.Errorf("line %d: %q, want the cells %q", i+1, got[i], w)
		}
	}
	contains(t, "stdout", res.out,
		"estimate: whisper-v3 at $0.0009 per audio minute (fireworks.ai/pricing",
		"estimate: whisper-v3-turbo at $0.00054 per audio minute",
		"not included: diarization surcharge, taxes",
		"lengths measured now: 2 submissions recorded without one",
		"≥: the length of 2 files is unknown")

	res = h.run("usage", "--json", "--since", "2026-09-10")
	got = lines(t, res.out)
	if res.code != 0 || len(got) != 3 {
		t.Fatalf("--json: exit %d:\n%s", res.code, res.out)
	}
	var sep usageLine
	if err := json.Unmarshal([]byte(got[0]), &sep); err != nil {
		t.Fatal(err)
	}
	if sep.Month != "2026-09" || sep.Model != "whisper-v3" || sep.Files != 4 || sep.UnknownFiles != 2 || sep.AudioS != 3.41 ||
		sep.AudioHours != 0.000947 || sep.EstimateUSD == nil || *sep.EstimateUSD != 0.000051143 || !sep.AtLeast {
		t.Errorf("--json, September: %s", got[0])
	}
	if res := h.run("usage", "--json", "--since", "2026-09-11"); len(lines(t, res.out)) != 2 {
		t.Errorf("--since 2026-09-11 kept September:\n%s", res.out)
	}
	if res := h.run("usage", "--since", "2026-13"); res.code != 2 || !strings.Contains(res.errOut, `--since "2026-13": not a date`) {
		t.Errorf("a bad --since: exit %d: %s", res.code, res.errOut)
	}
}

// TestCompleteSince: --since offers this month and the eleven before it,
// newest first, and no file names.
func TestCompleteSince(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	got, _ := h.completions("usage", "--since", "")
	now := time.Now()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.Local)
	if len(got) != 12 || got[0] != now.Format("2006-01") || got[11] != first.AddDate(0, -11, 0).Format("2006-01") {
		t.Errorf("--since offers %v", got)
	}
	for _, m := range got {
		if _, err := parseSince(m); err != nil {
			t.Errorf("--since offers %q, which it refuses: %v", m, err)
		}
	}
}
