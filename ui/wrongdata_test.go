package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.deps.StartFiles = []string{filepath.Join(e.audio, "hello.wav")}
	d := drive(t, New(e.deps, e.opts))
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
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	hist := sampleHistory(t, e)
	done := hist[0]
	pending := done
	pending.ServerStatus, pending.ResultPath = "processing", ""
	d := drive(t, New(e.deps, e.opts))
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

// audioCopies writes n copies of the test WAV, each size bytes, into a
// folder of their own, and returns the folder and the names.
func audioCopies(t *testing.T, e *env, n int, size int64) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.audio, "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.dir, "takes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range n {
		name := fmt.Sprintf("take%d.wav", i+1)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return dir, names
}

// stopUploads cancels what d's model still uploads when the test ends, and
// waits for the outcomes to be written, before the temp folder goes.
func stopUploads(t *testing.T, d *driver) {
	t.Cleanup(func() {
		d.m.uploads.cancelAll()
		d.m.uploads.Wait()
	})
}

// TestOverallCountsEveryFileOfTheBatch: with --concurrency 1 and four
// files, the overall progress is over the four files' bytes (it said 100%
// of the first file while three were queued), the header and the quit
// question tell running and queued uploads apart.
func TestOverallCountsEveryFileOfTheBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{ReadRate: 100_000})
	e.deps.Concurrency = 1
	e.deps.StartDir, _ = audioCopies(t, e, 4, 8<<20)
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(120, 30)
	d.key("a", "enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "ctrl+s submits") })
	d.key("ctrl+s")
	scr := d.waitFor("one running, three queued", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "↑ 1 uploading, 3 queued") && strings.Contains(lineOf(s, "take1.wav"), "%")
	})
	overall := lineOf(scr, "overall")
	if !strings.Contains(overall, "/32.0 MiB") || strings.Contains(overall, "100%") {
		t.Fatalf("the overall line is not over every file's bytes (32.0 MiB):\n%s", scr)
	}
	if !strings.Contains(scr, "Submitting 4 file(s): 0 done, 1 uploading, 3 queued") {
		t.Fatalf("the title does not count running and queued apart:\n%s", scr)
	}
	if _, cmd := d.m.Update(keyMsg("ctrl+c")); cmd != nil || !strings.Contains(d.screen(), "1 upload running and 3 queued") {
		t.Fatalf("the quit question does not count running and queued apart:\n%s", d.screen())
	}
	d.key("n")
}

// body is the screen without its header, notice line and footer.
func body(scr string) string {
	lines := strings.Split(scr, "\n")
	if len(lines) < 4 {
		return ""
	}
	return strings.Join(lines[1:len(lines)-2], "\n")
}

func lineOf(scr, text string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// TestSubmittingShowsThisBatchOnly: a second submission's Submitting page
// lists its own files, not the first one's; an upload whose bytes are all
// sent says it waits for the server instead of sitting at ↑ 100%.
func TestSubmittingShowsThisBatchOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Latency: 1500 * time.Millisecond})
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(120, 30)
	submitFromForm(t, d, "hello.flac")
	d.waitFor("the first upload in History", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "History") && strings.Contains(s, "hello.flac")
	})
	d.key("tab")
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "audio file(s)") })
	submitFromForm(t, d, "hello.wav")
	scr := d.waitFor("the second upload waiting for the server", 10*time.Second, func(s string) bool {
		return strings.Contains(lineOf(s, "hello.wav"), "waiting for the server")
	})
	if strings.Contains(body(scr), "hello.flac") || !strings.Contains(scr, "Submitting 1 file(s)") {
		t.Fatalf("Submitting shows an earlier batch:\n%s", scr)
	}
}

// TestMarksAreClearedOnceSubmitted: marked files that went off are not
// marked any more when the user comes back to Files (they were, and the
// same files went again without a warning).
func TestMarksAreClearedOnceSubmitted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(100, 30)
	submitFromForm(t, d, "hello.flac", "hello.wav")
	d.waitFor("History", 10*time.Second, func(s string) bool { return strings.Contains(s, "History") && strings.Count(s, "hello.") >= 2 })
	d.key("tab")
	scr := d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "audio file(s)") })
	if strings.Contains(scr, "marked") || strings.Contains(scr, "●") {
		t.Fatalf("marks survived the submission:\n%s", scr)
	}
}

// TestVanishedMarkIsUnmarked: a marked file deleted from disk is unmarked
// (and the user told) when Files looks at the folder again.
func TestVanishedMarkIsUnmarked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("down", "space", "space") // hello.flac and hello.mp3
	if !strings.Contains(d.screen(), "2 marked") {
		t.Fatalf("marking:\n%s", d.screen())
	}
	if err := os.Remove(filepath.Join(e.audio, "hello.mp3")); err != nil {
		t.Fatal(err)
	}
	d.key("tab")
	d.key("tab")
	scr := d.waitFor("the folder read again", 5*time.Second, func(s string) bool { return strings.Contains(s, "1 marked") })
	if !strings.Contains(scr, "hello.mp3") || !strings.Contains(scr, "unmarked") {
		t.Fatalf("no word about the vanished file:\n%s", scr)
	}
}

// TestEnterOnFIFOKeepsOlderMarks: enter on a FIFO says why it cannot be
// sent; it does not open the form for files marked earlier.
func TestEnterOnFIFOKeepsOlderMarks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	if err := syscall.Mkfifo(filepath.Join(e.audio, "pipe.mp3"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("down", "space") // hello.flac
	for i := 0; i < 10 && !strings.Contains(selectedLine(d.screen()), "pipe.mp3"); i++ {
		d.key("down")
	}
	d.key("enter")
	if d.m.page != pageFiles || !strings.Contains(d.screen(), "pipe.mp3: not a regular file (a FIFO)") {
		t.Fatalf("enter on a FIFO with a file marked:\n%s", d.screen())
	}
	d.key("L") // and the message log keeps it
	if !strings.Contains(d.screen(), "pipe.mp3: not a regular file (a FIFO)") {
		t.Fatalf("the message log does not hold the problem:\n%s", d.screen())
	}
}

// TestBackgroundSaveFailureIsShown: a completed job whose transcript
// cannot be saved (here the results folder is a file; a full disk does the
// same) reads "completed, not saved" in History, and the reason is on the
// notice line and in the message log without pressing r (the row said
// "◌ processing" and the reason came only after r).
func TestBackgroundSaveFailureIsShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	if err := os.WriteFile(e.st.ResultsDir(), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.deps.PollMax = time.Hour // the checks back off, as they would for real
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(120, 30)
	submitFromForm(t, d, "hello.flac")
	scr := d.waitFor("the failure in History", 10*time.Second, func(s string) bool {
		return strings.Contains(lineOf(s, "hello.flac "), "! completed")
	})
	notice := lineOf(scr, "not saved here")
	if !strings.Contains(notice, "hello.flac: completed on the server") {
		t.Fatalf("the notice line does not say what went wrong:\n%s", scr)
	}
	d.key("L")
	scr = d.screen()
	if !strings.Contains(scr, "Messages") || !strings.Contains(strings.Join(strings.Fields(scr), " "), "results folder "+e.st.ResultsDir()) {
		t.Fatalf("the message log does not hold the reason in full:\n%s", scr)
	}
	d.key("esc")
	d.key("enter")
	if scr := d.screen(); !strings.Contains(scr, "Details") || !strings.Contains(scr, "not saved") {
		t.Fatalf("Details does not say the transcript was not saved:\n%s", scr)
	}
}
