// Package termsafe makes text that fwbatch did not write itself — file
// names, paths, server messages, transcripts — safe to put on a terminal.
//
// A file may be named $'\e]52;c;…\a.wav' (OSC 52 writes the clipboard),
// $'\e]0;…\a' (the window title) or $'\e[2J' (clears the screen); a server
// may answer with any bytes. Printed as they are, a terminal runs them as
// commands. termsafe shows every such character visibly, as the Go escape
// that names it (\x1b, \n, \u202e), so nothing is interpreted and nothing
// is silently dropped. The UI and the command line use the same rules.
//
// Hand-written because the job is specific: ansi.Strip and friends remove
// sequences (the name a user sees would not be the file's name), and
// strconv.Quote adds quotes and escapes quotes and backslashes, which is
// right for machine-readable output but not for a table cell.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// Line returns s made safe for one line of a terminal. These are shown as
// escapes, everything else as it is:
//
//   - C0 controls, DEL and C1 controls: \n, \t, \r, \x1b, \x7f, \u009b …
//     (ESC, BEL and the 8-bit CSI/OSC start every terminal sequence);
//   - the line and paragraph separators U+2028 and U+2029;
//   - bidirectional controls (U+200E, U+200F, U+061C, U+202A–U+202E,
//     U+2066–U+2069) and the byte-order mark U+FEFF, which reorder or hide
//     what is shown ("evil\u202ecod.wav" would read as "evildoc.wav");
//   - bytes that are not valid UTF-8: \xff.
//
// A backslash is left alone, so "a\nb" is ambiguous between a newline and
// the two characters; names with backslashes are rare on the systems
// fwbatch runs on, and doubling every backslash would make Windows-style
// paths unreadable. s is returned unchanged, without allocating, when it
// needs nothing.
func Line(s string) string { return escape(s, false) }

// Text is Line for text of several lines, such as a transcript: a newline
// (or a CR LF pair) stays a line break, a tab becomes four spaces (widths
// are measured in cells, and a terminal draws a tab as anything from one to
// eight), and every other character Line escapes is escaped.
func Text(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	i := firstUnsafe(s, multiline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHex(&b, `\x`, uint32(s[i]), 2)
		case multiline && r == '\n':
			b.WriteByte('\n')
		case multiline && r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// CR LF is a line break written the DOS way (subtitle files
			// often are): the LF that follows makes it.
		case multiline && r == '\t':
			b.WriteString("    ")
		case unsafe(r):
			escapeRune(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the byte offset of the first character to escape, or -1.
func firstUnsafe(s string, multiline bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(multiline && c == '\n') {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafe(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafe reports whether r is shown as an escape (invalid bytes aside).
func unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escapeRune writes r's escape.
func escapeRune(b *strings.Builder, r rune) {
	switch {
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\r':
		b.WriteString(`\r`)
	case r < 0x80:
		writeHex(b, `\x`, uint32(r), 2)
	default:
		writeHex(b, `\u`, uint32(r), 4)
	}
}

func writeHex(b *strings.Builder, prefix string, v uint32, digits int) {
	const hex = "0123456789abcdef"
	b.WriteString(prefix)
	for d := digits - 1; d >= 0; d-- {
		b.WriteByte(hex[(v>>(4*d))&0xf])
	}
}
