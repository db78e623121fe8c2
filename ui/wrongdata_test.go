package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// Each test here reproduces a wrong number or a lost message of issue 12.

// TestFilesLoadsAfterStartingWithFiles: `fwbatch hello.wav`, then esc: the
// folder's listing arrived while the form had the focus, and Files said
// "reading the folder…" for ever.
func TestFilesLoadsAfterStartingWithFiles(t *testing.T) {
	e := newEnv(t, fakeapi.Config{})
	e.deps.StartFiles = []string{filepath.Join(e.audio, "hello.wav")}
	d := drive(t, New(e.deps, Options{}))
	d.size(100, 30)
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "ctrl+s submits") })
	d.key("esc")
	d.waitFor("the folder's listing", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "hello.flac") && strings.Contains(s, "3 audio file")
	})
}

// TestTranscriptArrivingElsewhereIsKept: a job completes while the user is
// back on History after looking at its Details; the transcript read then
// must not be lost (Details said "reading the saved transcript…" for ever).
func TestTranscriptArrivingElsewhereIsKept(t *testing.T) {
	e := newEnv(t, fakeapi.Config{})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	hist := sampleHistory(t, e)
	done := hist[0]
	pending := done
	pending.ServerStatus, pending.ResultPath = "processing", ""
	d := drive(t, New(e.deps, Options{}))
	d.size(100, 30)
	d.send(historyLoadedMsg{subs: []store.Submission{pending}})
	d.send(openDetailsMsg{id: done.ID})
	if !strings.Contains(d.screen(), "No transcript yet") {
		t.Fatalf("details of a pending job:\n%s", d.screen())
	}
	d.key("esc")
	d.send(historyChangedMsg{subs: []store.Submission{done}})
	d.key("enter")
	d.waitFor("the transcript", 5*time.Second, func(s string) bool { return strings.Contains(s, "SPEAKER_00") })
}
