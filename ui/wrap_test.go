package ui

import (
	"strings"
	"testing"
)

// TestWrap: lines break at spaces, never at a hyphen (a batch id moves to
// the next line whole); a word longer than a line is cut over lines; no
// line is wider than asked.
func TestWrap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"batch 7c18e7e3-4194-1883-2344-03921f7c625a. Again", 40, "batch\n7c18e7e3-4194-1883-2344-03921f7c625a.\nAgain"},
		{"a b c", 3, "a b\nc"},
		{"abcdefgh ij", 3, "abc\ndef\ngh\nij"},
		{"one\n\ntwo  spaces", 20, "one\n\ntwo  spaces"},
	} {
		got := wrap(c.in, c.w)
		if got != c.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
		for _, l := range strings.Split(got, "\n") {
			if lineWidth(l) > c.w {
				t.Errorf("wrap(%q, %d): line %q is wider", c.in, c.w, l)
			}
		}
	}
}
