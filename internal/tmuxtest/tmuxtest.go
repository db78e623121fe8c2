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
	// pidFile and statusFile are written by the wrapper shell around the
	// program: its pid before it starts, its exit status after it ends.
	pidFile, statusFile string
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
//
// The program runs under a wrapper shell that records its pid and its exit
// status in files. tmux's own #{pane_pid} would be the wrapper's, and its
// #{pane_dead_status} is filled in some time after #{pane_dead} turns 1 (an
// empty status read as 0 made a failing exit look like success).
func Start(t testing.TB, w, h int, env []string, argv ...string) *Session {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	s := &Session{
		t: t, socket: filepath.Join(dir, "tmux.sock"), name: "e2e",
		pidFile: filepath.Join(dir, "pid"), statusFile: filepath.Join(dir, "status"),
	}
	// The inner shell writes its pid and execs the program (env -i, then
	// argv), so the pid is the program's. Files are written beside and
	// renamed, so a reader never sees half a number.
	var program strings.Builder
	program.WriteString("echo $$ >" + shellQuote(s.pidFile+".tmp") + " && mv " + shellQuote(s.pidFile+".tmp") + " " + shellQuote(s.pidFile))
	program.WriteString(" && exec env -i")
	for _, kv := range env {
		program.WriteString(" " + shellQuote(kv))
	}
	for _, a := range argv {
		program.WriteString(" " + shellQuote(a))
	}
	// The outer shell waits for the program and records its status. Its
	// traps keep it alive through a ctrl+c or ctrl+\ typed in the pane
	// (a caught signal is reset to the default in the program, which sees
	// them as usual). SIGHUP is left alone: when the terminal goes away
	// (Kill) the kernel signals the session leader, this shell, and only
	// when it exits the program's process group, as a real logout does.
	wrapper := "trap : INT QUIT; /bin/sh -c " + shellQuote(program.String()) +
		"; echo $? >" + shellQuote(s.statusFile+".tmp") + " && mv " + shellQuote(s.statusFile+".tmp") + " " + shellQuote(s.statusFile)
	// Keep the pane after the wrapper exits, so the last screen can be read
	// (set before the session starts: a program that exits at once would
	// otherwise take its pane with it).
	s.tmux("-f", "/dev/null", "start-server", ";", "set-option", "-g", "remain-on-exit", "on",
		";", "new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "exec /bin/sh -c "+shellQuote(wrapper))
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

// PanePID is the pid of the program in the pane. It fails the test when the
// program has not started within a few seconds: a pid of 0 would make every
// "is it still running" check (kill(pid, 0)) pass without a process.
func (s *Session) PanePID() int {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := os.ReadFile(s.pidFile)
		if err == nil {
			var pid int
			if _, err := fmt.Sscan(string(raw), &pid); err != nil || pid <= 0 {
				s.t.Fatalf("the pane's pid file %s holds %q, not a pid: %v", s.pidFile, raw, err)
			}
			return pid
		}
		if !os.IsNotExist(err) {
			s.t.Fatalf("reading the pane's pid: %v", err)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the program in the pane did not start within 5s; the screen shows:\n%s", s.Screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Dead reports whether the program has exited, and its exit status (as a
// shell reports it: 128+n after signal n).
func (s *Session) Dead() (bool, int) {
	s.t.Helper()
	if code, ok := s.exitStatus(); ok {
		return true, code
	}
	var dead int
	out := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead}"))
	if _, err := fmt.Sscan(out, &dead); err != nil {
		s.t.Fatalf("tmux pane_dead is %q: %v", out, err)
	}
	if dead != 1 {
		return false, 0
	}
	// The wrapper writes the status before it exits, so it is there now.
	code, ok := s.exitStatus()
	if !ok {
		s.t.Fatalf("the pane is dead but its wrapper recorded no exit status in %s; the screen shows:\n%s", s.statusFile, s.Screen())
	}
	return true, code
}

// exitStatus is the program's exit status, once the wrapper has recorded it.
func (s *Session) exitStatus() (int, bool) {
	s.t.Helper()
	raw, err := os.ReadFile(s.statusFile)
	if os.IsNotExist(err) {
		return 0, false
	}
	if err != nil {
		s.t.Fatalf("reading the program's exit status: %v", err)
	}
	var code int
	if _, err := fmt.Sscan(string(raw), &code); err != nil {
		s.t.Fatalf("the exit status file %s holds %q: %v", s.statusFile, raw, err)
	}
	return code, true
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
