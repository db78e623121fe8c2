package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// hostile are file names that try to command the terminal: OSC 52 (the
// clipboard), OSC 0 (the window title), CSI (clear the screen, colours) and
// a newline (a forged output line).
var hostile = []string{
	"\x1b]52;c;aGVsbG8=\x07clip.wav",
	"\x1b]0;pwned\x07title.wav",
	"\x1b[2J\x1b[31mred.wav",
	"two\nforged submitted batch_id=x.wav",
}

// noTerminalCommands fails if out holds anything a terminal would run, or
// a line break inside one of its lines.
func noTerminalCommands(t *testing.T, what, out string, lines int) {
	t.Helper()
	for i, r := range out {
		if r == 0x1b || r == 0x07 || r == '\r' || (r >= 0x80 && r <= 0x9f) {
			t.Fatalf("%s: %q reaches the terminal at byte %d:\n%q", what, r, i, out)
		}
	}
	if lines >= 0 && strings.Count(out, "\n") != lines {
		t.Fatalf("%s: %d lines, want %d (a name's newline?):\n%s", what, strings.Count(out, "\n"), lines, out)
	}
}

// TestHostileNamesInCLIOutput: submit, list, status and result name such
// files with their escapes visible, on stdout and stderr, one line each.
func TestHostileNamesInCLIOutput(t *testing.T) {
	h := newHarness(t, fakeapi.Config{})
	var files []string
	for _, name := range hostile {
		files = append(files, h.audio("hello.wav", name))
	}
	notAudio := filepath.Join(filepath.Dir(files[0]), "\x1b]0;x\x07notes.wav")
	if err := os.WriteFile(notAudio, []byte("not audio at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := h.run(append([]string{"submit"}, append(files, notAudio)...)...)
	noTerminalCommands(t, "submit stdout", res.out, 5)
	noTerminalCommands(t, "submit stderr", res.errOut, 1)
	if !strings.Contains(res.out, `\x1b]52;c;aGVsbG8=\aclip.wav`) || !strings.Contains(res.errOut, `\x1b]0;x\x07notes.wav`) {
		t.Fatalf("the names are not shown with their escapes:\n%s\n%s", res.out, res.errOut)
	}
	res = h.run("list")
	noTerminalCommands(t, "list", res.out, 1+len(hostile))
	res = h.run("status")
	noTerminalCommands(t, "status", res.out, len(hostile))
	dir := t.TempDir()
	for _, s := range h.subs() {
		if s.BatchID == "" {
			continue
		}
		res = h.run("result", "-o", dir+"/", s.ID)
		noTerminalCommands(t, "result", res.out+res.errOut, -1)
	}
}
