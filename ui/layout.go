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

// wrap soft-wraps plain or styled text at w cells, at spaces (a batch id
// or a path stays whole where it fits), breaking words longer than a line.
func wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Wrap(s, w, "")
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
