package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// TestQuitWithInterruptedUploadsExits1: quitting the UI while an upload
// runs, answering the dialog or pressing ctrl+c twice, records the upload
// as interrupted and exits 1, as fwbatch submit does.
func TestQuitWithInterruptedUploadsExits1(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		keys []string
	}{
		{"answer the dialog", []string{"y"}},
		{"ctrl+c twice", []string{"C-c"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := startSlowFake(t)
			u := newUser(t, f)
			s, pid := midUpload(t, f, u, bigAudio(t, "quit.flac"))
			s.Keys("C-c")
			s.WaitText(wait, "Quit fwbatch?")
			s.Keys(c.keys...)
			waitGone(t, pid, 10*time.Second, c.name)
			s.WaitFor(2*time.Second, "tmux to see fwbatch exit", func(string) bool { dead, _ := s.Dead(); return dead })
			if _, status := s.Dead(); status != 1 {
				t.Fatalf("exit status %d, want 1: uploads were interrupted", status)
			}
			evs := events(t, u)
			if k := strings.Join(kindsOf(evs, evs[0].ID), ","); k != "started,interrupted" {
				t.Fatalf("history: %s, want started,interrupted", k)
			}
		})
	}
}

// TestDemoKeepsTheRealConfig: what is submitted in the demo does not become
// the real form defaults (it wrote them to the config file).
func TestDemoKeepsTheRealConfig(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	dir := audioDir(t, map[string]string{"demo.wav": "hello.wav"}, 0)
	s := tmuxtest.Start(t, 100, 30, u.env, fwbatch, "--demo", filepath.Join(dir, "demo.wav"))
	focused(t, s, "Task")
	s.Keys("Tab", "Tab", "Right", "Right") // response format: not the default
	s.Keys("C-s")
	s.WaitFor(wait, "the submission", func(scr string) bool { return strings.Contains(scr, "History") && strings.Contains(scr, "demo.wav") })
	s.Keys("q")
	s.WaitFor(wait, "the demo to exit", func(string) bool { dead, _ := s.Dead(); return dead })
	cfg := filepath.Join(u.config, "fwbatch", "config.json")
	if data, err := os.ReadFile(cfg); !os.IsNotExist(err) {
		t.Fatalf("the demo wrote the real config %s: %s (%v)", cfg, data, err)
	}
}
