package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// withEnv returns env with each of kvs set, replacing an earlier value.
func withEnv(env []string, kvs ...string) []string {
	out := append([]string(nil), env...)
	for _, kv := range kvs {
		name := kv[:strings.IndexByte(kv, '=')+1]
		replaced := false
		for i, e := range out {
			if strings.HasPrefix(e, name) {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

var sgrRe = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// colourCodes lists the SGR sequences in s that set a foreground,
// background or underline colour (39 and 49, the defaults, do not count).
func colourCodes(s string) []string {
	var found []string
	for _, m := range sgrRe.FindAllStringSubmatch(s, -1) {
		params := strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' })
		for _, p := range params {
			n, _ := strconv.Atoi(p)
			if n == 38 || n == 48 || n == 58 || (n >= 30 && n <= 37) || (n >= 40 && n <= 47) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				found = append(found, strconv.Quote(m[0]))
				break
			}
		}
	}
	return found
}

// lineWith is the first line of scr holding text, or "".
func lineWith(scr, text string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// TestNoColour: with NO_COLOR set to any non-empty value, or TERM=dumb, no
// screen carries a colour, and every state still reads as a glyph and a
// word (ASCII glyphs under TERM=dumb). The same screens in an ordinary
// terminal do carry colours, so the check can see them.
func TestNoColour(t *testing.T) {
	t.Parallel()
	f := startSlowFake(t)
	for _, c := range []struct {
		env    string
		colour bool
		ascii  bool
	}{
		{env: "NO_COLOR=1"},
		{env: "NO_COLOR=yes"},
		{env: "TERM=dumb", ascii: true},
		{env: "TERM=xterm-256color", colour: true},
	} {
		t.Run(c.env, func(t *testing.T) {
			t.Parallel()
			u := newUser(t, f)
			u.env = withEnv(u.env, c.env)
			dir := audioDir(t, map[string]string{"new.flac": "hello.flac"}, bigFile)
			finishedHistory(t, u, dir)
			s := tmuxtest.Start(t, 120, 30, u.env, u.ui(dir)...)
			states := map[string]string{
				"completed.flac":    "✓ completed",
				"uploadfailed.flac": "✗ failed",
				"jobfailed.flac":    "✗ failed",
				"interrupted.flac":  "! interrupted",
				"unknown.flac":      "? unknown",
			}
			cursor, mark := "›", "○"
			if c.ascii {
				states["completed.flac"], states["uploadfailed.flac"], states["jobfailed.flac"] = "+ completed", "x failed", "x failed"
				cursor, mark = ">", "-"
			}
			check := func(page string, scr string) {
				t.Helper()
				styled := s.StyledScreen()
				codes := colourCodes(styled)
				switch {
				case c.colour && len(codes) == 0:
					t.Errorf("%s: no colour in an ordinary terminal: the check cannot see colours\n%q", page, styled)
				case !c.colour && len(codes) > 0:
					t.Errorf("%s under %s: colour codes %v\n%s", page, c.env, codes, scr)
				}
				// (The help line's arrow keys are key names, not states.)
				if c.ascii && strings.ContainsAny(strings.NewReplacer("↑/k", "", "↓/j", "").Replace(scr), "✓✗›●○░█↑◌") {
					t.Errorf("%s under TERM=dumb: non-ASCII state glyphs\n%s", page, scr)
				}
			}

			scr := s.WaitText(wait, "new.flac")
			if l := lineWith(scr, "new.flac"); !strings.HasPrefix(strings.TrimSpace(l), cursor+" "+mark) {
				t.Errorf("Files: the highlighted, unmarked file reads %q, want %q first", l, cursor+" "+mark)
			}
			check("Files", scr)

			s.Keys("Tab")
			scr = s.WaitText(wait, "batch-done-0000")
			for file, state := range states {
				if l := lineWith(scr, file); !strings.Contains(l, state) {
					t.Errorf("History: the row of %s reads %q, want %q in it", file, l, state)
				}
			}
			check("History", scr)

			highlight(t, s, cursor, "unknown.flac")
			s.Keys("Enter")
			scr = s.WaitFor(wait, "Details", func(scr string) bool { return strings.Contains(scr, "Details") && strings.Contains(scr, "unknown") })
			check("Details", scr)
			s.Keys("Escape")
			s.WaitText(wait, "batch-done-0000")

			s.Keys("Tab")
			s.WaitText(wait, "new.flac")
			highlight(t, s, cursor, "new.flac")
			s.Keys("Enter")
			scr = s.WaitText(wait, "Diarize")
			check("Form", scr)
			// Diarize is off: the chosen button says so without colour.
			chosen, other := "●", "○"
			if c.ascii {
				chosen, other = "*", "-"
			}
			if l := lineWith(scr, "Yes"); !strings.Contains(l, other+" Yes") || !strings.Contains(l, chosen+" No") {
				t.Errorf("Form: the diarize buttons read %q, want %q and %q", l, other+" Yes", chosen+" No")
			}

			s.Keys("C-s")
			scr = s.WaitFor(wait, "upload progress", func(scr string) bool {
				return strings.Contains(scr, "Submitting") && strings.Contains(scr, "%")
			})
			check("Submitting", scr)
			s.WaitFor(wait, "the new batch id in History", func(scr string) bool {
				// "submitted" until the first background check says processing.
				row := lineWith(scr, "new.flac")
				return strings.Contains(scr, "Batch ID") && (strings.Contains(row, "submitted") || strings.Contains(row, "processing"))
			})
			check("History after the upload", s.Screen())
		})
	}
}

// TestResizeEveryScreen: on every screen (Files, Form, the API key prompt,
// Submitting, History, Details) the terminal goes through 20×5, 40×10,
// 80×24 and 200×60. Below the minimum one line names the size needed;
// growing the terminal brings the screen back; no line runs past the
// edge; the process never dies. A form opened from the command line in a
// terminal too small for it starts once the terminal grows.
func TestResizeEveryScreen(t *testing.T) {
	t.Parallel()
	// The upload stalls part-way (the fake stops reading it), so Submitting
	// stays on screen for as long as its tour takes, however slow the
	// machine; History and Details then show it as uploading.
	f := startFake(t, "-polls", "1000", "-faults", "1:stall")
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"small.wav": "hello.wav", "big.flac": "hello.flac"}, 0)
	if err := os.Truncate(filepath.Join(dir, "big.flac"), bigFile); err != nil {
		t.Fatal(err)
	}

	// tour resizes s through the sizes on one screen; marker is text the
	// screen shows at 80×24 and larger. Each size is waited for until the
	// frame is whole: it shows what it should and fits the terminal (a
	// frame caught half redrawn may not yet); one that never fits fails.
	tour := func(s *tmuxtest.Session, page, marker string) {
		t.Helper()
		pid := s.PanePID()
		for _, sz := range [][2]int{{20, 5}, {40, 10}, {80, 24}, {200, 60}, {100, 30}} {
			w, h := sz[0], sz[1]
			s.Resize(w, h)
			small := w < 60 || h < 16
			for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
				scr := s.Screen()
				problem := frameProblem(scr, s.JoinedScreen(), marker, w, h, small)
				if problem == "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s at %d×%d, after %v: %s:\n%s", page, w, h, wait, problem, scr)
				}
			}
			if dead, code := s.Dead(); dead || !alive(pid) {
				t.Fatalf("fwbatch died on %s at %d×%d (status %d):\n%s", page, w, h, code, s.Screen())
			}
		}
	}

	s := tmuxtest.Start(t, 100, 30, u.env, u.ui(dir)...)
	s.WaitText(wait, "small.wav")
	tour(s, "Files", "audio file(s)")

	selectLine(t, s, "big.flac")
	s.Keys("Enter")
	focused(t, s, "Task")
	tour(s, "Form", "Response format")

	s.Keys("C-s")
	s.WaitFor(wait, "the upload", func(scr string) bool { return strings.Contains(scr, "Submitting") && strings.Contains(scr, "%") })
	tour(s, "Submitting", "overall")

	// tab leaves the upload running and opens History.
	s.Keys("Tab")
	s.WaitFor(wait, "History with the upload", func(scr string) bool {
		return strings.Contains(scr, "Batch ID") && strings.Contains(lineWith(scr, "big.flac"), "uploading")
	})
	tour(s, "History", "Batch ID")

	selectLine(t, s, "big.flac")
	s.Keys("Enter")
	s.WaitText(wait, "Details · big.flac")
	tour(s, "Details", "Details · big.flac")

	// No key: the key prompt, reached from a form opened on the command
	// line in a terminal too small for it.
	nokey := newUser(t, nil, "FIREWORKS_BATCH_BASE_URL="+f.url)
	k := tmuxtest.Start(t, 20, 5, nokey.env, nokey.ui(filepath.Join(dir, "small.wav"))...)
	k.WaitText(wait, "60×16")
	k.Resize(100, 30)
	focused(t, k, "Task")
	k.Keys("C-s")
	k.WaitText(wait, "Fireworks API key")
	tour(k, "API key prompt", "Fireworks API key")
}

// frameProblem says what is wrong with a frame of a w×h terminal (scr as
// shown, joined as capture-pane -J shows it, with wrapped lines joined), or
// "" when it is whole: below the minimum size one line naming the size
// needed, otherwise the screen with marker and the header first; never a
// line wider than the terminal or more lines than it has.
func frameProblem(scr, joined, marker string, w, h int, small bool) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	switch {
	case small && (!strings.Contains(scr, "60×16") || strings.Contains(scr, marker)):
		return "no line naming the size needed (60×16)"
	case small && len(lines) != 1:
		return fmt.Sprintf("%d lines, want the one naming the size", len(lines))
	case !small && (!strings.Contains(scr, marker) || strings.Contains(scr, "60×16")):
		return fmt.Sprintf("%q is not on screen", marker)
	case !small && !strings.HasPrefix(lines[0], "fwbatch"):
		return "the header is not on the first line"
	}
	jl := strings.Split(strings.TrimRight(joined, "\n"), "\n")
	for _, l := range jl {
		if n := utf8.RuneCountInString(l); n > w {
			return fmt.Sprintf("a line of %d cells wrapped past the edge: %q", n, l)
		}
	}
	if len(jl) > h {
		return fmt.Sprintf("%d lines on a %d-line screen", len(jl), h)
	}
	return ""
}
