package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Names that try to command the terminal: OSC 52 (writes the clipboard),
// OSC 0 (the window title), CSI (colours, clearing the screen), the 8-bit
// CSI, newlines, a bidi override, a bare CR and invalid UTF-8.
var hostile = []struct{ in, line, text string }{
	{"\x1b]52;c;ZWNobyBwd25lZA==\x07.wav", `\x1b]52;c;ZWNobyBwd25lZA==\x07.wav`, `\x1b]52;c;ZWNobyBwd25lZA==\x07.wav`},
	{"\x1b]0;owned\x1b\\.mp3", `\x1b]0;owned\x1b\.mp3`, `\x1b]0;owned\x1b\.mp3`},
	{"\x1b[31mred\x1b[0m.wav", `\x1b[31mred\x1b[0m.wav`, `\x1b[31mred\x1b[0m.wav`},
	{"\u009b2Jclear.flac", `\u009b2Jclear.flac`, `\u009b2Jclear.flac`},
	{"two\nlines.wav", `two\nlines.wav`, "two\nlines.wav"},
	{"dos\r\nline", `dos\r\nline`, "dos\nline"},
	{"over\rwrite", `over\rwrite`, `over\rwrite`},
	{"tab\there", `tab\there`, "tab    here"},
	{"evil\u202ecod.wav", `evil\u202ecod.wav`, `evil\u202ecod.wav`},
	{"bad\xffbyte", `bad\xffbyte`, `bad\xffbyte`},
	{"bell\x07del\x7f", `bell\x07del\x7f`, `bell\x07del\x7f`},
}

func TestEscapesWhatTheTerminalWouldRun(t *testing.T) {
	for _, c := range hostile {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
		for _, got := range []string{Line(c.in), Text(c.in)} {
			if i := strings.IndexFunc(got, func(r rune) bool { return r != '\n' && unsafe(r) }); i >= 0 || !utf8.ValidString(got) {
				t.Errorf("%q still holds a control character or invalid UTF-8: %q", c.in, got)
			}
		}
		if strings.Contains(Line(c.in), "\n") {
			t.Errorf("Line(%q) holds a line break", c.in)
		}
	}
}

func TestLeavesOrdinaryTextAlone(t *testing.T) {
	for _, s := range []string{"", "talk.flac", "Ångström – 会议记录 🎙.m4a", `C:\recordings\a.wav`, "family 👨\u200d👩\u200d👧.wav"} {
		if got := Line(s); got != s {
			t.Errorf("Line(%q) = %q", s, got)
		}
		if got := Text(s + "\nline two"); got != s+"\nline two" {
			t.Errorf("Text changed %q", s)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Line("/home/me/recordings/interview.flac") }); n != 0 {
		t.Errorf("a safe name costs %v allocations", n)
	}
}

func FuzzLine(f *testing.F) {
	for _, c := range hostile {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{Line(s), Text(s)} {
			if !utf8.ValidString(got) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, got)
			}
			for _, r := range got {
				if r != '\n' && unsafe(r) {
					t.Fatalf("%q kept %U: %q", s, r, got)
				}
			}
		}
		if strings.ContainsRune(Line(s), '\n') {
			t.Fatalf("Line(%q) has a line break", s)
		}
	})
}
