package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// TestTwoSessionsShareHistory: a submission made in one UI appears in another
// UI on the same history file within 5 s.
func TestTwoSessionsShareHistory(t *testing.T) {
	f := startFake(t, "-polls", "1000") // the job stays processing
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"shared.wav": "hello.wav"}, 0)

	watcher := tmuxtest.Start(t, 100, 30, u.env, fwbatch, dir)
	watcher.WaitText(wait, "shared.wav")
	watcher.Keys("Tab")
	watcher.WaitText(wait, "no submissions yet")

	maker := tmuxtest.Start(t, 100, 30, u.env, fwbatch, dir)
	maker.WaitText(wait, "shared.wav")
	selectLine(t, maker, "shared.wav")
	maker.Keys("Enter")
	focused(t, maker, "Task")
	maker.Keys("C-s")
	var batch string
	maker.WaitFor(wait, "the batch id in the first UI", func(scr string) bool {
		if jobs := f.jobs(); len(jobs) == 1 {
			batch = jobs[0].BatchID
			return strings.Contains(scr, batch[:18])
		}
		return false
	})
	seen := time.Now()
	watcher.WaitFor(5*time.Second, "the batch id in the second UI", func(scr string) bool {
		return strings.Contains(scr, batch[:18]) && strings.Contains(scr, "shared.wav")
	})
	t.Logf("the second UI showed the submission %v after the first", time.Since(seen).Round(10*time.Millisecond))
}
