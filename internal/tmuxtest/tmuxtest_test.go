package tmuxtest

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

var env = []string{"PATH=" + os.Getenv("PATH")}

// waitDead waits for the program in s to exit and returns its status.
func waitDead(t *testing.T, s *Session) int {
	t.Helper()
	var code int
	s.WaitFor(10*time.Second, "the program to exit", func(string) bool {
		var dead bool
		dead, code = s.Dead()
		return dead
	})
	return code
}

// TestExitStatus: the status Dead reports is the program's own, at once, for
// every way it can end: tmux's #{pane_dead_status} is filled in late, and
// reading it empty as 0 once made "exit 1" look like success.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 1", 1},
		{"exit 3", 3},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
	} {
		t.Run(c.script, func(t *testing.T) {
			t.Parallel()
			for range 5 {
				s := Start(t, 40, 10, env, "sh", "-c", c.script)
				if code := waitDead(t, s); code != c.want {
					t.Fatalf("%q: Dead reports status %d, want %d", c.script, code, c.want)
				}
			}
		})
	}
}

// TestPanePIDIsTheProgram: PanePID is the program's own pid (not tmux's
// shell, never 0), so a signal sent to it reaches the program, and a ctrl+c
// typed in the pane reaches the program without ending the wrapper that
// records its status.
func TestPanePIDIsTheProgram(t *testing.T) {
	t.Parallel()
	s := Start(t, 40, 10, env, "sh", "-c", "trap 'echo got-int' INT; echo ready; while :; do sleep 0.05; done")
	s.WaitText(10*time.Second, "ready")
	pid := s.PanePID()
	if pid <= 0 {
		t.Fatalf("PanePID = %d", pid)
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	if want := "sh\x00-c\x00trap"; len(comm) < len(want) || string(comm[:len(want)]) != want {
		t.Fatalf("pid %d runs %q, not the program", pid, comm)
	}
	s.Keys("C-c")
	s.WaitText(10*time.Second, "got-int")
	if dead, _ := s.Dead(); dead {
		t.Fatal("ctrl+c in the pane ended the program, which traps it")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := waitDead(t, s); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("after SIGKILL Dead reports status %d, want %d", code, 128+int(syscall.SIGKILL))
	}
}
