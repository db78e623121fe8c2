package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// TestTwoSessionsShareHistory: a submission made in one UI appears in another
// UI on the same history file at its next look at the file: within two of
// its history watches (every 2 s), counted in its debug log rather than in
// seconds, so that a loaded machine does not fail the test.
func TestTwoSessionsShareHistory(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-polls", "1000") // the job stays processing
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"shared.wav": "hello.wav"}, 0)

	watcherLog := filepath.Join(u.home, "watcher.log")
	watcher := tmuxtest.Start(t, 100, 30, u.env, fwbatch, "--debug", watcherLog, dir)
	watcher.WaitText(wait, "shared.wav")
	watcher.Keys("Tab")
	watcher.WaitText(wait, "no submissions yet")

	maker := tmuxtest.Start(t, 100, 30, u.env, u.ui(dir)...)
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
	const tick = "ui.watchTickMsg"
	seen := logged(t, watcherLog, tick)
	watcher.WaitFor(wait, "the batch id in the second UI", func(scr string) bool {
		return strings.Contains(scr, batch[:18]) && strings.Contains(scr, "shared.wav")
	})
	if n := logged(t, watcherLog, tick) - seen; n > 2 {
		t.Fatalf("the second UI showed the submission %d history watches after the first did, want at most 2", n)
	} else {
		t.Logf("the second UI showed the submission %d history watches after the first", n)
	}
}
