package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Minimum terminal size the screens are laid out for. Smaller terminals get
// one line naming this size.
const (
	minWidth  = 60
	minHeight = 16
)

// truncate cuts s (which may hold escape codes) to at most w cells.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad truncates s to w cells and pads it with spaces to exactly w cells.
func pad(s string, w int) string {
	s = truncate(s, w)
	if n := w - ansi.StringWidth(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	s = truncate(s, w)
	if n := w - ansi.StringWidth(s); n > 0 {
		s = strings.Repeat(" ", n) + s
	}
	return s
}

// block fits s into a w×h rectangle: every line truncated to w cells,
// missing lines added empty, extra lines dropped.
func block(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// wrap soft-wraps plain text at w cells at spaces only, breaking a word
// only when it is longer than a line. Hand-written because ansi.Wrap (and
// lipgloss) always break at hyphens: a batch id or a date would be cut in
// two where it fits whole on the next line. Style after wrapping.
func wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	for i, para := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		col := 0 // cells on the current line
		for j, word := range strings.Split(para, " ") {
			ww := ansi.StringWidth(word)
			switch {
			case j == 0:
			case col+1+ww <= w:
				b.WriteByte(' ')
				col++
			default:
				b.WriteByte('\n')
				col = 0
			}
			if ww > w-col { // longer than the room: cut it over lines
				word = ansi.Hardwrap(word, w, true)
				if k := strings.LastIndexByte(word, '\n'); k >= 0 {
					ww = ansi.StringWidth(word[k+1:])
					col = 0
				}
			}
			b.WriteString(word)
			col += ww
		}
	}
	return b.String()
}

// lineCount is the number of lines s occupies.
func lineCount(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

// lineWidth is the number of cells s occupies (escape codes excluded).
func lineWidth(s string) int { return ansi.StringWidth(s) }
