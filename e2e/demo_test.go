package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// TestDemoOnAFreshMachine is issue 5's first acceptance point: with an empty
// HOME and no key, `go run . --demo` shows DEMO, a keyboard session submits a
// file and later reads its completed transcript, and the real history
// location stays empty.
func TestDemoOnAFreshMachine(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	dir := audioDir(t, map[string]string{"meeting.mp3": "hello.mp3"}, 0)
	gocache, _ := os.UserCacheDir()
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8",
		// go run needs its caches; they are not the user's fwbatch state.
		"GOCACHE=" + filepath.Join(gocache, "go-build"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"), "GOFLAGS=-mod=mod",
		"GOPROXY=" + goEnv(t, "GOPROXY"), "GOTOOLCHAIN=local",
	}
	s := tmuxtest.Start(t, 100, 30, env, "sh", "-c", "cd "+root+" && exec go run . --demo "+dir)
	scr := s.WaitText(2*time.Minute, "meeting.mp3")
	if !strings.Contains(scr, "DEMO") {
		t.Fatalf("the header does not say DEMO:\n%s", scr)
	}
	s.Keys("Enter")
	focused(t, s, "Task")
	s.Keys("C-s")
	s.WaitFor(wait, "the job to complete", func(scr string) bool { return strings.Contains(scr, "✓ completed") })
	s.Keys("Enter")
	s.WaitText(wait, "Welcome to the fwbatch demo")

	// Only the demo's own history was written; the real one does not exist.
	real := filepath.Join(home, ".local", "state", "fwbatch", "history.jsonl")
	if _, err := os.Stat(real); !os.IsNotExist(err) {
		t.Fatalf("the real history %s exists after a demo (err %v)", real, err)
	}
	demo := filepath.Join(home, ".local", "state", "fwbatch", "demo", "history.jsonl")
	if data, err := os.ReadFile(demo); err != nil || !strings.Contains(string(data), `"kind":"submitted"`) {
		t.Fatalf("the demo history %s: %v\n%s", demo, err, data)
	}
	s.Keys("Escape")
	s.WaitText(wait, "History  1 submission")
	s.Keys("q")
	s.WaitFor(wait, "the demo to exit", func(string) bool { dead, _ := s.Dead(); return dead })
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
