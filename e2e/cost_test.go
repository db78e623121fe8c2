package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDryRunAndUsage: on the built binary, `submit --dry-run` says what a
// folder would cost and sends and records nothing; after the real
// submission, `usage` reports the same audio for this month, in text and
// JSON.
func TestDryRunAndUsage(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"talk.flac": "hello.flac", "memo.wav": "speech.wav"}, 0)

	out, errOut, code := run(t, u.env, "submit", "--dry-run", dir)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("--dry-run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for i, want := range [][]string{
		{filepath.Join(dir, "memo.wav"), "23.5 KiB", "3 s", "≈ $0.000045"},
		{filepath.Join(dir, "talk.flac"), "16.7 KiB", "2 s", "≈ $0.000026"},
		{"total: 2 files", "40.2 KiB", "5 s", "≈ $0.000071"},
	} {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("--dry-run line %d: %q, want %q", i+1, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[3], "estimate: whisper-v3 at $0.0009 per audio minute (fireworks.ai/pricing") ||
		!strings.Contains(errOut, "dry run: nothing was uploaded or recorded") {
		t.Errorf("--dry-run: the basis %q, stderr %q", lines[3], errOut)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("--dry-run sent %d requests", n)
	}
	if _, err := os.Stat(u.historyPath()); !os.IsNotExist(err) {
		t.Errorf("--dry-run wrote the history: %v", err)
	}
	out, _, code = run(t, u.env, "submit", "--dry-run", "-j", "--endpoint", "audio-turbo", filepath.Join(dir, "talk.flac"))
	var plan struct {
		File        string   `json:"file"`
		Size        int64    `json:"size"`
		DurationS   *float64 `json:"duration_s"`
		EstimateUSD *float64 `json:"estimate_usd"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil || plan.Size != 17115 || plan.DurationS == nil || *plan.DurationS != 1.705 ||
		plan.EstimateUSD == nil || *plan.EstimateUSD != 0.000015343 {
		t.Errorf("--dry-run -j: exit %d, %s", code, out)
	}

	if out, errOut, code := run(t, u.env, "submit", dir); code != 0 {
		t.Fatalf("submit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, errOut, code = run(t, u.env, "usage")
	lines = strings.Split(out, "\n")
	month := time.Now().Format("2006-01")
	if code != 0 || len(lines) < 2 || strings.Join(strings.Fields(lines[1]), " ") != month+" whisper-v3 2 5 s ≈ $0.000071" {
		t.Fatalf("usage: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = run(t, u.env, "usage", "--json", "--since", month)
	var row struct {
		Month       string   `json:"month"`
		Files       int      `json:"files"`
		AudioS      float64  `json:"audio_s"`
		EstimateUSD *float64 `json:"estimate_usd"`
		AtLeast     bool     `json:"at_least"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &row) != nil || row.Month != month || row.Files != 2 || row.AudioS != 4.705 ||
		row.EstimateUSD == nil || *row.EstimateUSD != 0.000070575 || row.AtLeast {
		t.Errorf("usage --json: exit %d, %s", code, out)
	}
	if out, errOut, code := run(t, u.env, "usage", "--since", "2999-01"); code != 0 || out != "" || !strings.Contains(errOut, "no submission with a batch id") {
		t.Errorf("usage --since 2999-01: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
