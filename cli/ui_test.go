package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// terminal is a pseudo-terminal the in-process UI runs on: the test reads
// everything drawn and types keys.
type terminal struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the screen drawn so far shows text (escape codes
// removed).
func (term *terminal) waitFor(text string) {
	term.t.Helper()
	for deadline := time.Now().Add(commandDeadline); !strings.Contains(ansi.Strip(term.output()), text); {
		if time.Now().After(deadline) {
			term.t.Fatalf("waited %s for %q on the terminal; it shows:\n%s", commandDeadline, text, ansi.Strip(term.output()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (term *terminal) send(keys string) {
	term.t.Helper()
	if _, err := term.master.Write([]byte(keys)); err != nil {
		term.t.Fatal(err)
	}
}

// runUI runs the interactive UI in-process (`fwbatch --debug LOG args...`)
// on a pseudo-terminal of cols×rows cells, lets drive type and read, and returns the exit
// code once the UI ends, within commandDeadline. What the UI drew is
// checked for the key; the debug log and every other file it wrote are
// checked when the test ends (checkNoCanary).
func (h *harness) runUI(cols, rows int, drive func(*terminal), args ...string) (int, *terminal) {
	h.t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		h.t.Skipf("this system cannot open a pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(master, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		h.t.Fatal(err)
	}
	term := &terminal{t: h.t, master: master, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	var errOut bytes.Buffer
	r := &runner{stdin: tty, stdout: tty, stderr: &errOut, getenv: func(k string) string { return h.env[k] }}
	args = append([]string{"--debug", h.debug}, args...)
	exited := make(chan int, 1)
	go func() { exited <- r.main(args) }()
	drive(term)
	var code int
	select {
	case code = <-exited:
	case <-time.After(commandDeadline):
		h.t.Fatalf("fwbatch %s did not end within %s; its goroutines:\n%s", strings.Join(args, " "), commandDeadline, fwbatchStacks())
	}
	tty.Close()
	<-term.done
	master.Close()
	if errOut.Len() > 0 {
		h.t.Errorf("the UI wrote to stderr behind the screen: %q", errOut.String())
	}
	if s := term.output(); strings.Contains(strings.ToLower(s), strings.ToLower(canary)) {
		h.t.Errorf("fwbatch %s: the API key was drawn on the terminal:\n%s", strings.Join(args, " "), ansi.Strip(s))
	}
	return code, term
}

// TestUIOnATerminal: the interactive UI, started as a user starts it (the
// key in FIREWORKS_API_KEY, --debug), opens Files, goes to History and
// quits on q with exit 0. The key shows nowhere: not on the terminal
// (beyond its last four characters), not in the debug log, not in any file
// (checked when the test ends). The debug log is written, so the check
// looks at something.
func TestUIOnATerminal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	file := h.audio("hello.wav", "talk.wav")
	code, term := h.runUI(100, 30, func(term *terminal) {
		term.waitFor("talk.wav")
		term.send("\t")
		term.waitFor("no submissions yet")
		term.send("q")
	}, filepath.Dir(file))
	if code != ExitOK {
		t.Fatalf("exit %d, want 0; the terminal shows:\n%s", code, ansi.Strip(term.output()))
	}
	if s := ansi.Strip(term.output()); !strings.Contains(s, "key …"+canary[len(canary)-4:]) {
		t.Errorf("the header does not show the key's last four characters:\n%s", s)
	}
	log, err := os.ReadFile(h.debug)
	if err != nil || len(log) == 0 {
		t.Fatalf("the debug log %s is empty: %v", h.debug, err)
	}
}
