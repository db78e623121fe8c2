package cli

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// writeConfig writes the harness's config file (0600).
func (h *harness) writeConfig(text string) {
	h.t.Helper()
	p := filepath.Join(h.env["XDG_CONFIG_HOME"], "fwbatch", "config.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// TestDryRun: one line per file with its size, length and estimate, the
// total and what the estimate rests on; files that would be refused are
// named; nothing is sent, nothing is written to the history, and no key is
// needed.
func TestDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	h.env["FIREWORKS_API_KEY"] = ""
	wav := h.audio("hello.wav", "hello.wav")
	flac := h.audio("speech.flac", "speech.flac")
	notes := h.audio("not-audio.txt", "notes.txt")
	// Audio bytes whose headers say nothing: an MP3 frame header, then zeros.
	odd := filepath.Join(h.dir, "audio", "odd.mp3")
	if err := os.WriteFile(odd, append([]byte{0xff, 0xfb, 0x90, 0x00}, make([]byte, 100)...), 0o644); err != nil {
		t.Fatal(err)
	}

	res := h.run("submit", "--dry-run", wav, flac, notes, odd)
	if res.code != 1 {
		t.Errorf("a file would be refused: exit %d, want 1", res.code)
	}
	got := lines(t, res.out)
	if len(got) != 6 {
		t.Fatalf("stdout: %d lines, want 6 (a refusal, 3 files, the total, the basis):\n%s", len(got), res.out)
	}
	contains(t, "the refusal", got[0], notes+" would be refused: does not look like audio or video")
	for i, want := range [][]string{
		{wav, "26.7 KiB", "2 s", "≈ $0.000026"},
		{flac, "36.1 KiB", "3 s", "≈ $0.000045"},
		{odd, "104 B", "?", "?"},
		{"total: 3 files", "62.9 KiB", "≥ 5 s", "≥ $0.000071"},
	} {
		if fields := strings.Split(collapse(got[i+1]), "  "); strings.Join(fields, "|") != strings.Join(want, "|") {
			t.Errorf("line %d: %q, want the cells %q", i+2, got[i+1], want)
		}
	}
	contains(t, "the basis", got[5], "estimate: whisper-v3 at $0.0009 per audio minute (fireworks.ai/pricing", "not included: diarization surcharge, taxes")
	contains(t, "stderr", res.errOut, "dry run: nothing was uploaded or recorded")
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the fake got %d requests", n)
	}
	if _, err := os.Stat(h.hist); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the history was written: %v", err)
	}

	// --json: one object per file, the basis on stderr.
	res = h.run("submit", "--dry-run", "--json", "--endpoint", "audio-turbo", wav, odd)
	if res.code != 0 {
		t.Errorf("--json: exit %d: %s", res.code, res.errOut)
	}
	got = lines(t, res.out)
	if len(got) != 2 {
		t.Fatalf("--json: %d lines:\n%s", len(got), res.out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(got[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["file"] != wav || first["size"] != 27320.0 || first["duration_s"] != 1.705 ||
		first["estimate_usd"] != 0.000015343 || first["model"] != "whisper-v3-turbo" {
		t.Errorf("--json: %s", got[0])
	}
	if !strings.Contains(got[1], `"duration_s":null,"estimate_usd":null`) {
		t.Errorf("--json, unknown length: %s", got[1])
	}
	contains(t, "--json stderr", res.errOut, "estimate: whisper-v3-turbo at $0.00054 per audio minute")

	// Options are checked as for a submission.
	if res := h.run("submit", "--dry-run", "--diarize", wav); res.code != 2 || !strings.Contains(res.errOut, "--diarize (diarize)") {
		t.Errorf("bad options: exit %d: %s", res.code, res.errOut)
	}
}

// collapse turns runs of two or more spaces into exactly two, so that
// tabwriter's cells can be split.
func collapse(s string) string {
	for strings.Contains(s, "   ") {
		s = strings.ReplaceAll(s, "   ", "  ")
	}
	return strings.TrimSpace(s)
}

// TestPrices: the config file's "prices" replace the defaults per model and
// say so; a bad one is refused by what estimates, naming prices.<model>,
// and never stops a submission.
func TestPrices(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	wav := h.audio("hello.wav", "hello.wav")
	h.writeConfig(`{"prices": {"whisper-v3": 0.06, "my-finetune": 0.01}}`)
	res := h.run("submit", "--dry-run", wav)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.errOut)
	}
	// 1.705 s at $0.06 a minute.
	contains(t, "stdout", res.out, "≈ $0.0017", "estimate: whisper-v3 at $0.06 per audio minute (your config file)")

	for cfg, want := range map[string]string{
		`{"prices": {"whisper-v3": -1}}`:      "prices.whisper-v3: -1 is not a price",
		`{"prices": {"whisper-v3": "cheap"}}`: `prices.whisper-v3: "cheap" is not a price`,
		`{"prices": [0.1]}`:                   `prices: give US dollars per audio minute by model`,
	} {
		h.writeConfig(cfg)
		res := h.run("submit", "--dry-run", wav)
		if res.code != 2 || !strings.Contains(oneLine(t, cfg, res.errOut), want) || !strings.Contains(res.errOut, "config file ") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", cfg, res.code, res.errOut, want)
		}
		if res := h.run("usage"); res.code != 2 || !strings.Contains(res.errOut, want) {
			t.Errorf("%s: usage: exit %d, stderr %q", cfg, res.code, res.errOut)
		}
	}
	// The estimate never blocks a submission.
	if res := h.run("submit", wav); res.code != 0 {
		t.Errorf("a bad price stopped a submission: exit %d: %s", res.code, res.errOut)
	}
}
