package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// Names that try to command the terminal, and how they must read on screen.
var hostileNames = []struct{ name, shown string }{
	{"\x1b]52;c;aGVsbG8=\x07clip.wav", `\x1b]52;c;aGVsbG8=\x07clip.wav`}, // OSC 52: writes the clipboard
	{"\x1b]0;pwned\x1b\\title.mp3", `\x1b]0;pwned\x1b\title.mp3`},        // OSC 0: the window title
	{"\x1b[2J\x1b[31mred.flac", `\x1b[2J\x1b[31mred.flac`},               // CSI: clear, colour
	{"two\nlines.wav", `two\nlines.wav`},                                 // a newline
}

// sgr matches the colour and attribute sequences the UI itself draws.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// safeFrame fails if the frame holds anything a terminal would run besides
// the UI's own colours: an escape, BEL, a C1 control, or a line more than
// the terminal has.
func safeFrame(t *testing.T, where, frame string, h int) {
	t.Helper()
	rest := sgr.ReplaceAllString(frame, "")
	for i, r := range rest {
		if r == 0x1b || r == 0x07 || (r >= 0x80 && r <= 0x9f) || r == '\r' {
			t.Fatalf("%s: %q reaches the terminal at byte %d:\n%q", where, r, i, rest)
		}
	}
	if n := strings.Count(frame, "\n") + 1; n > h {
		t.Fatalf("%s: %d lines on a %d-line screen (a name's newline?)", where, n, h)
	}
}

// TestHostileNamesOnEveryScreen: files named with OSC 52, OSC 0, CSI and a
// newline are shown with their escapes visible, and nothing of them
// reaches the terminal, on every screen: Files, the form, Submitting,
// History, Details (with a transcript and a server status that try too),
// a dialog and the message log.
func TestHostileNamesOnEveryScreen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Latency: time.Second}) // Submitting stays a moment
	e.deps.PollMax = time.Hour
	dir := filepath.Join(e.dir, "hostile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	wav, err := os.ReadFile(filepath.Join(e.audio, "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hostileNames {
		// Four recordings (one recording under four names is sent once).
		if err := os.WriteFile(filepath.Join(dir, h.name), append(slices.Clone(wav), byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.deps.StartDir = dir
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	const w, h = 120, 40
	d.size(w, h)
	check := func(where string, wantShown bool) {
		t.Helper()
		safeFrame(t, where, d.m.View().Content, h)
		if !wantShown {
			return
		}
		scr := d.screen()
		for _, hn := range hostileNames {
			if !strings.Contains(scr, hn.shown) {
				t.Fatalf("%s does not show %q as %s:\n%s", where, hn.name, hn.shown, scr)
			}
		}
	}
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "4 audio file") })
	check("Files", true)
	d.key("a", "enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "ready: ctrl+s") })
	check("the form", false) // the names share one line, cut at the width
	d.key("ctrl+s")
	d.waitFor("Submitting", 10*time.Second, func(s string) bool { return strings.Contains(s, "Submitting 4 file(s)") })
	check("Submitting", true)
	d.waitFor("History", 10*time.Second, func(s string) bool { return strings.Contains(s, "History") && strings.Count(s, "completed") >= 4 })
	check("History", true)

	// A server that sends escapes in a status, a message and a transcript.
	subs := loadHistory(t, e.st)
	evil := *subs[0]
	evil.ID = "20261120T090000.000000Z-e71e71"
	evil.ServerStatus = "\x1b]0;status\x07failed"
	evil.Message = "bad \x1b[2J message\nsecond line"
	result := filepath.Join(e.dir, "evil.txt")
	if err := os.WriteFile(result, []byte("line one \x1b]52;c;eA==\x07\nline two\x9b2J"), 0o600); err != nil {
		t.Fatal(err)
	}
	evil.ServerStatus, evil.ResultPath, evil.Options = "completed", result, map[string]string{"response_format": "text"}
	evil.BatchID = "batch\x1b[8m-hidden"
	failed := evil
	failed.ID, failed.ServerStatus, failed.ResultPath = "20261120T080000.000000Z-e71e72", "\x1b]0;status\x07failed", ""
	d.send(historyChangedMsg{subs: []store.Submission{evil, failed}})
	check("History with a server's escapes", false)
	if !strings.Contains(d.screen(), `✗ \x1b]0;`) {
		t.Fatalf("History does not show the server's status safely:\n%s", d.screen())
	}
	d.send(openDetailsMsg{id: evil.ID})
	scr := d.waitFor("the transcript", 5*time.Second, func(s string) bool { return strings.Contains(s, "line two") })
	check("Details", false)
	for _, want := range []string{`line one \x1b]52;c;eA==\x07`, `line two\x9b2J`, `bad \x1b[2J message\nsecond line`, `batch\x1b[8m-hidden`} {
		if !strings.Contains(strings.Join(strings.Fields(scr), " "), want) {
			t.Fatalf("Details does not show %s:\n%s", want, scr)
		}
	}
	d.send(openDetailsMsg{id: subs[0].ID})
	d.key("x")
	check("the resubmit dialog", false)
	if !strings.Contains(d.screen(), "Resubmit "+displayName(subs[0].File)) || !strings.Contains(displayName(subs[0].File), `\`) {
		t.Fatalf("the dialog does not name the file safely:\n%s", d.screen())
	}
	d.key("n", "L")
	check("the message log", true)
}
