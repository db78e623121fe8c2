package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

var percent = regexp.MustCompile(`(\d+)%`)

// partial reports whether the screen line naming file shows an upload part
// way through (1–99 %).
func partial(scr, file string) bool {
	for _, l := range strings.Split(scr, "\n") {
		if !strings.Contains(l, file) {
			continue
		}
		if m := percent.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n > 0 && n < 100
		}
	}
	return false
}

// TestThreeFilesConcurrentlyWithRetryAndUnknown is issue 4's second flow:
// three marked files upload at once, each with its own progress; the fake
// answers the first request 429 (Retry-After 2 s) and that file's retry 500,
// which shows as a waiting countdown and then an "unknown outcome" row.
func TestThreeFilesConcurrentlyWithRetryAndUnknown(t *testing.T) {
	t.Parallel()
	// Each upload takes about 12 s at the fake: the retry after the 429
	// starts 2 s in, while the other two still have seconds to go even
	// with the few MiB the kernel's buffers take ahead of the fake.
	f := startFake(t, "-read-rate", "1000000", "-faults", "1:429=2,4:500", "-polls", "1000")
	u := newUser(t, f)
	names := map[string]string{"a-one.flac": "hello.flac", "b-two.wav": "hello.wav", "c-three.ogg": "hello.ogg"}
	dir := audioDir(t, names, 12<<20)
	s := tmuxtest.Start(t, 120, 30, u.env, u.ui(dir)...)
	s.WaitText(wait, "c-three.ogg")
	s.Keys("Space")
	s.Keys("Space")
	s.Keys("Space")
	s.WaitText(wait, "3 marked")
	s.Keys("Enter")
	focused(t, s, "Task")
	s.Keys("C-s")

	s.WaitFor(wait, "a 429 countdown", func(scr string) bool {
		return strings.Contains(scr, "waiting") && strings.Contains(scr, "before retrying") && strings.Contains(scr, "429")
	})
	s.WaitFor(20*time.Second, "three uploads in progress at once", func(scr string) bool {
		return partial(scr, "a-one.flac") && partial(scr, "b-two.wav") && partial(scr, "c-three.ogg")
	})
	scr := s.WaitFor(30*time.Second, "the unknown outcome", func(scr string) bool {
		return strings.Contains(scr, "unknown outcome") && strings.Contains(scr, "500")
	})
	noCanary(t, "the Submitting screen", scr)

	// Two jobs exist; the third file's outcome is unknown, and History says so.
	s.Keys("Tab")
	hist := s.WaitFor(wait, "History with an unknown row", func(scr string) bool {
		return strings.Contains(scr, "History") && strings.Contains(scr, "? unknown") && strings.Count(scr, "◌ ") >= 2
	})
	// The 429 and the 500 made no job; the two other uploads made one each.
	if n := len(f.jobs()); n != 2 {
		t.Fatalf("the fake holds %d jobs, want 2\n%s", n, hist)
	}
	var posts int
	for _, r := range f.requests() {
		if r.Method == "POST" {
			posts++
		}
	}
	if posts != 4 {
		t.Fatalf("the fake saw %d uploads, want 4 (three, plus one retry after the 429 and none after the 500)", posts)
	}
}
