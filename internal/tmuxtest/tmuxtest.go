// Package tmuxtest drives a real terminal program inside tmux for end-to-end
// tests: start it at a fixed size, send keys, read the screen.
package tmuxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Session is one tmux server (private socket) with one window.
type Session struct {
	t      testing.TB
	socket string
	name   string
}

// Require returns the tmux path, failing the test in CI (which installs
// tmux) and skipping it elsewhere when tmux is missing.
func Require(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is required for end-to-end tests in CI (.ci/run installs it): %v", err)
		}
		t.Skip("tmux not installed: end-to-end terminal tests need it (apt-get install tmux)")
	}
	return p
}

// Start runs argv in a new tmux session of w×h cells with exactly env as its
// environment (plus TERM). The session is killed when the test ends.
func Start(t testing.TB, w, h int, env []string, argv ...string) *Session {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	s := &Session{t: t, socket: filepath.Join(dir, "tmux.sock"), name: "e2e"}
	// A shell-free command line: tmux runs argv via sh -c, so quote it.
	var cmd strings.Builder
	cmd.WriteString("exec env -i")
	for _, kv := range env {
		cmd.WriteString(" " + shellQuote(kv))
	}
	for _, a := range argv {
		cmd.WriteString(" " + shellQuote(a))
	}
	// Keep the pane after the program exits, so its last screen and exit
	// status can be read.
	s.tmux("-f", "/dev/null", "new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmd.String(),
		";", "set-option", "-t", s.name, "remain-on-exit", "on")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *Session) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Keys sends tmux key names ("Enter", "Down", "C-s", "Space", "Escape").
func (s *Session) Keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// Type sends text literally.
func (s *Session) Type(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
}

// Screen returns what the pane shows now.
func (s *Session) Screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

// WaitFor polls the screen until cond holds, and fails the test with the last
// screen when it does not within d.
func (s *Session) WaitFor(d time.Duration, what string, cond func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	var scr string
	for {
		scr = s.Screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited %s for %s; the screen shows:\n%s", d, what, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitText waits until the screen contains text.
func (s *Session) WaitText(d time.Duration, text string) string {
	s.t.Helper()
	return s.WaitFor(d, fmt.Sprintf("%q", text), func(scr string) bool { return strings.Contains(scr, text) })
}

// Resize changes the window size.
func (s *Session) Resize(w, h int) {
	s.t.Helper()
	s.tmux("resize-window", "-t", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h))
}

// PanePID is the pid of the program in the pane.
func (s *Session) PanePID() int {
	s.t.Helper()
	var pid int
	fmt.Sscan(strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_pid}")), &pid)
	return pid
}

// Dead reports whether the program has exited, and its exit status.
func (s *Session) Dead() (bool, int) {
	s.t.Helper()
	var dead, status int
	fmt.Sscan(strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead} #{pane_dead_status}")), &dead, &status)
	return dead == 1, status
}

// Kill ends the tmux server: the program gets SIGHUP, as when an SSH link drops.
func (s *Session) Kill() {
	_ = exec.Command("tmux", "-S", s.socket, "kill-server").Run()
}

// StyledScreen returns what the pane shows with its colours and text
// attributes as escape codes (capture-pane -e), to check how it is drawn.
func (s *Session) StyledScreen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-e", "-p", "-t", s.name)
}

// JoinedScreen returns what the pane shows with wrapped lines joined
// (capture-pane -J): a line the program wrote past the right edge comes
// back longer than the pane is wide.
func (s *Session) JoinedScreen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-J", "-p", "-t", s.name)
}
