package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestHistoryScrollKeepsCursorOnScreen: History at 80×24 with 100 rows.
// Down through every row, then Up back to the first: at every step the
// highlighted ("›") row is on screen and is the row the cursor is on, the
// screen is exactly 24 lines with the help line last, and the History page
// draws no more lines than the room it has (the root would cut the extra
// ones off, and the cursor with them).
func TestHistoryScrollKeepsCursorOnScreen(t *testing.T) {
	t.Parallel()
	const n, w, h = 100, 80, 24
	e := newEnv(t, fakeapi.Config{})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	d := drive(t, New(e.deps, e.opts))
	d.size(w, h)
	subs := make([]store.Submission, n)
	for i := range subs {
		at := t0.Add(time.Duration(i) * time.Minute)
		subs[i] = store.Submission{
			ID: fmt.Sprintf("20261120T%04dZ-%06d", i, i), Started: at, Updated: at, Host: "testhost", PID: 4242,
			File: filepath.Join("/recordings", fmt.Sprintf("rec-%03d.flac", i)), Size: 1000, Task: "transcribe",
			Endpoint: "audio-prod", Model: "whisper-v3", Options: map[string]string{"response_format": "json"},
			Outcome: store.OutcomeFailed,
		}
	}
	d.send(historyLoadedMsg{subs: subs})
	d.key("tab")
	if d.m.page != pageHistory {
		t.Fatalf("tab did not open History:\n%s", d.screen())
	}

	// Newest first: row r shows rec-(n-1-r) (the name is cut short at 80
	// columns).
	check := func(step string, row int) {
		t.Helper()
		scr := d.screen()
		lines := strings.Split(scr, "\n")
		if len(lines) != h {
			t.Fatalf("%s: the screen is %d lines, want %d:\n%s", step, len(lines), h, scr)
		}
		footer := strings.Split(ansi.Strip(d.m.footer()), "\n")
		if help := footer[len(footer)-1]; lines[h-1] != help {
			t.Fatalf("%s: the last line is not the help line %q:\n%s", step, help, scr)
		}
		var cursorLines []string
		for _, l := range lines {
			if strings.HasPrefix(l, d.m.sh.st.G.Cursor+" ") {
				cursorLines = append(cursorLines, l)
			}
		}
		want := fmt.Sprintf("rec-%03d", n-1-row)
		if len(cursorLines) != 1 || !strings.Contains(cursorLines[0], want) {
			t.Fatalf("%s: want one highlighted row, of %s; highlighted: %q\n%s", step, want, cursorLines, scr)
		}
		bodyH := h - 2 - lineCount(d.m.footer())
		if page := ansi.Strip(d.m.active().view()); lineCount(page) > bodyH {
			t.Fatalf("%s: the History page draws %d lines into a body of %d:\n%s", step, lineCount(page), bodyH, page)
		}
	}
	check("at the top", 0)
	for row := 1; row < n; row++ {
		d.key("down")
		check(fmt.Sprintf("after %d× down", row), row)
	}
	d.key("down")
	check("down on the last row", n-1)
	for row := n - 2; row >= 0; row-- {
		d.key("up")
		check(fmt.Sprintf("up to row %d", row), row)
	}
}
