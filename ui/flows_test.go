package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/internal/testchild"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func loadHistory(t *testing.T, st *store.Store) []*store.Submission {
	t.Helper()
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	return h.Submissions()
}

// submitFromForm marks the named audio files in Files and submits them with
// the form's current values.
func submitFromForm(t *testing.T, d *driver, names ...string) {
	t.Helper()
	for _, n := range names {
		for i := 0; i < 10 && !strings.Contains(selectedLine(d.screen()), n); i++ {
			d.key("down")
		}
		d.key("space")
	}
	d.key("enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "ctrl+s submits") })
	d.key("ctrl+s")
}

func selectedLine(scr string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, "›") {
			return l
		}
	}
	return ""
}

func TestSubmitShowsBatchIDsInHistoryAndCompletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Polls: 1})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	submitFromForm(t, d, "hello.flac", "hello.wav")
	scr := d.waitFor("History with both files", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "History") && strings.Count(s, "hello.") >= 2
	})
	for _, j := range e.fake.Jobs() {
		if !strings.Contains(scr, j.BatchID[:20]) {
			t.Fatalf("batch id %s not in History:\n%s", j.BatchID, scr)
		}
	}
	d.waitFor("both jobs completed", 10*time.Second, func(s string) bool { return strings.Count(s, "✓ completed") == 2 })
	for _, s := range loadHistory(t, e.st) {
		if s.ResultPath == "" {
			t.Fatalf("completed job %s has no saved result", s.BatchID)
		}
		if _, err := os.Stat(s.ResultPath); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSubmitClearsFilterHidingNewJobs: a History filter that would hide
// the new jobs is cleared when uploads end and History shows them, and the
// notice line says so.
func TestSubmitClearsFilterHidingNewJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("tab", "/", "w", "a", "v", "enter", "tab")
	submitFromForm(t, d, "hello.flac")
	d.waitFor("History with the new job selected", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "History  ") && strings.Contains(selectedLine(s), "hello.flac")
	})
	// (Later notices, the job's completion, may have taken the line: the
	// log has them all.)
	for _, msg := range d.m.log.items {
		if strings.Contains(msg.line(), `filter "wav" cleared`) {
			return
		}
	}
	t.Fatalf("no message says the filter was cleared: %+v", d.m.log.items)
}

func TestUploadErrorIsOneLineWithNextStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{1: {Kind: fakeapi.Unauthorized}}}})
	d := drive(t, New(e.deps, e.opts))
	d.size(120, 30)
	submitFromForm(t, d, "hello.flac")
	scr := d.waitFor("the failure", 10*time.Second, func(s string) bool { return strings.Contains(s, "failed") })
	line := ""
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, "hello.flac") {
			line = l
		}
	}
	if !strings.Contains(line, "401") || !strings.Contains(line, "FIREWORKS_API_KEY") {
		t.Fatalf("the failure line does not name HTTP 401 and the next step: %q\n%s", line, scr)
	}
	if strings.Contains(scr, testKey) {
		t.Fatal("the key is on screen")
	}
	if subs := loadHistory(t, e.st); len(subs) != 1 || subs[0].Outcome != store.OutcomeFailed || subs[0].HTTPStatus != 401 {
		t.Fatalf("history: %+v", subs)
	}
}

// TestOddReplyIsSaid: a reply usable despite something odd in it makes a
// submission, and the message log says what was odd.
func TestOddReplyIsSaid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{1: {Kind: fakeapi.TypedFields}}}})
	d := drive(t, New(e.deps, e.opts))
	d.size(120, 30)
	submitFromForm(t, d, "hello.flac")
	d.waitFor("the submission", 10*time.Second, func(s string) bool { return strings.Contains(s, "History") && strings.Contains(s, "hello.flac") })
	d.key("L")
	scr := d.waitFor("the message log", 5*time.Second, func(s string) bool { return strings.Contains(s, "Messages") })
	if !strings.Contains(scr, "but odd reply: account_id is a number") {
		t.Fatalf("the message log does not say what was odd:\n%s", scr)
	}
}

// writeSample records the sample submissions in the history file, event by
// event, so the UI reads them the way it reads real ones.
func writeSample(t *testing.T, st *store.Store, subs []store.Submission) {
	t.Helper()
	for _, s := range subs {
		evs := []store.Event{{Kind: store.KindStarted, ID: s.ID, Time: s.Started, Host: s.Host, PID: s.PID, File: s.File, Size: s.Size,
			Task: s.Task, Endpoint: s.Endpoint, Model: s.Model, Options: s.Options}}
		evs[0].DurationS, _ = s.Duration.Seconds()
		switch s.Outcome {
		case store.OutcomeSubmitted:
			evs = append(evs, store.Event{Kind: store.KindSubmitted, ID: s.ID, BatchID: s.BatchID, AccountID: s.AccountID, EndpointID: s.Endpoint})
		case store.OutcomeFailed, store.OutcomeUnknown:
			evs = append(evs, store.Event{Kind: store.Kind(s.Outcome), ID: s.ID, HTTPStatus: s.HTTPStatus, Message: s.Message})
		}
		if s.ServerStatus != "" {
			evs = append(evs, store.Event{Kind: store.KindStatus, ID: s.ID, Status: s.ServerStatus, ResultPath: s.ResultPath})
		}
		if s.Hidden {
			evs = append(evs, store.Event{Kind: store.KindHidden, ID: s.ID})
		}
		if err := st.Append(t.Context(), evs...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFilterHideAndCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	hist := sampleHistory(t, e)
	writeSample(t, e.st, hist)
	d := drive(t, New(e.deps, e.opts))
	d.size(80, 24)
	d.key("tab")
	d.waitFor("the history", 5*time.Second, func(s string) bool { return strings.Contains(s, "5 submissions") })
	d.key("/")
	for _, r := range "lect" {
		d.key(string(r))
	}
	scr := d.screen()
	if !strings.Contains(scr, "1 of 5 match") || !strings.Contains(scr, "lecture.mp3") || strings.Contains(scr, "memo.wav") {
		t.Fatalf("filter 'lect':\n%s", scr)
	}
	if d.key("q"); d.m.page != pageHistory || !strings.Contains(d.screen(), "/lectq") {
		t.Fatalf("q while typing a filter must be typed, not quit:\n%s", d.screen())
	}
	d.key("backspace")
	d.key("enter") // keep the filter, leave the field
	// y copies the batch id with OSC 52.
	_, cmd := d.m.Update(keyMsg("y"))
	msgs := d.exec(cmd)
	if len(msgs) != 1 {
		t.Fatalf("copy produced %d messages", len(msgs))
	}
	_, cmd = d.m.Update(msgs[0])
	if cmd == nil || !strings.Contains(d.screen(), "copied batch id 7d9e0f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6") {
		t.Fatalf("no copy notice / clipboard command:\n%s", d.screen())
	}
	// d hides after a confirmation; the record stays in the file.
	d.key("d")
	if !strings.Contains(d.screen(), "Hide lecture.mp3") {
		t.Fatalf("no confirmation:\n%s", d.screen())
	}
	d.key("y")
	d.waitFor("the row to go", 5*time.Second, func(s string) bool { return strings.Contains(s, "0 of 4 match") })
	var hidden, kept bool
	for _, s := range loadHistory(t, e.st) {
		if s.ID == hist[1].ID {
			hidden, kept = s.Hidden, s.BatchID == hist[1].BatchID
		}
	}
	if !hidden || !kept {
		t.Fatal("the history file does not keep the entry with a hidden event")
	}
}

func TestResubmitUnknownWarnsAboutDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{1: {Kind: fakeapi.ServerError}}}})
	d := drive(t, New(e.deps, e.opts))
	d.size(120, 30)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the unknown outcome", 10*time.Second, func(s string) bool { return strings.Contains(s, "unknown outcome") })
	d.key("tab")
	d.waitFor("the unknown row", 5*time.Second, func(s string) bool { return strings.Contains(s, "? unknown") })
	d.key("x")
	if scr := d.screen(); !strings.Contains(scr, "duplicate") {
		t.Fatalf("no duplicate warning:\n%s", scr)
	}
	d.key("n")
	if e.fake.SubmitCount() != 1 {
		t.Fatal("answering no still resubmitted")
	}
	d.key("x", "y")
	d.waitFor("the second submission", 10*time.Second, func(s string) bool {
		return e.fake.SubmitCount() == 2 && len(e.fake.Jobs()) == 1 && strings.Contains(s, e.fake.Jobs()[0].BatchID[:20])
	})
	subs := loadHistory(t, e.st)
	if len(subs) != 2 || subs[1].ResubmitOf != subs[0].ID || subs[1].Outcome != store.OutcomeSubmitted {
		t.Fatalf("history after resubmit: %+v", subs)
	}
}

func TestKeyPrompt(t *testing.T) {
	t.Parallel()
	for _, save := range []bool{true, false} {
		t.Run(map[bool]string{true: "save", false: "dont-save"}[save], func(t *testing.T) {
			e := newEnv(t, fakeapi.Config{APIKey: testKey})
			e.deps.APIKey = ""
			var saved []string
			e.deps.SaveKey = func(k string) error { saved = append(saved, k); return nil }
			debug := e.opts.Debug.(*debugLog)
			d := drive(t, New(e.deps, e.opts))
			d.size(100, 30)
			if !strings.Contains(d.screen(), "no key") {
				t.Fatalf("header does not say there is no key:\n%s", d.screen())
			}
			submitFromForm(t, d, "hello.mp3")
			d.waitFor("the key prompt", 5*time.Second, func(s string) bool { return strings.Contains(s, "API key:") })
			d.send(tea.PasteMsg{Content: testKey})
			if scr := d.screen(); strings.Contains(scr, testKey) || strings.Contains(scr, testKey[4:]) {
				t.Fatalf("the key is echoed:\n%s", scr)
			}
			d.key("enter")
			if !strings.Contains(d.screen(), "…"+testKey[len(testKey)-4:]) {
				t.Fatalf("the save question does not show the masked key:\n%s", d.screen())
			}
			d.key(map[bool]string{true: "y", false: "n"}[save])
			scr := d.waitFor("the upload", 10*time.Second, func(s string) bool {
				return len(e.fake.Jobs()) == 1 && strings.Contains(s, e.fake.Jobs()[0].BatchID[:20])
			})
			if !strings.Contains(scr, "key …"+testKey[len(testKey)-4:]) || strings.Contains(scr, testKey) {
				t.Fatalf("header after the prompt:\n%s", scr)
			}
			if save != (len(saved) == 1 && saved[0] == testKey) {
				t.Fatalf("save=%v but SaveKey got %q", save, saved)
			}
			if strings.Contains(debug.String(), testKey) || strings.Contains(debug.String(), testKey[len(testKey)-6:]) || !strings.Contains(debug.String(), "API key prompt") {
				t.Fatalf("the debug log shows the key, or logged nothing of the prompt:\n%s", debug.String())
			}
		})
	}
}

func TestFilesExplainsWhatCannotBeOpened(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	if err := os.Symlink(filepath.Join(e.audio, "nowhere.wav"), filepath.Join(e.audio, "broken.wav")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(e.audio, "pipe.mp3"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	for _, c := range []struct{ name, want string }{
		{"broken.wav", "broken link"},
		{"pipe.mp3", "not a regular file (a FIFO)"},
	} {
		for i := 0; i < 10 && !strings.Contains(selectedLine(d.screen()), c.name); i++ {
			d.key("down")
		}
		d.key("enter")
		if scr := d.screen(); !strings.Contains(scr, c.name+": "+c.want) {
			t.Fatalf("%s: want %q on screen:\n%s", c.name, c.want, scr)
		}
	}
	// A typed path that does not exist, then one that does.
	d.key(":")
	d.send(tea.PasteMsg{Content: "missing"})
	d.key("enter")
	if scr := d.screen(); !strings.Contains(scr, "no such file or folder") {
		t.Fatalf("typed missing path:\n%s", scr)
	}
	d.key("esc", ":")
	d.send(tea.PasteMsg{Content: "hello.wav"})
	d.key("enter")
	d.waitFor("the form for the typed file", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "Submit 1 file(s)") && strings.Contains(s, "hello.wav")
	})
}

// TestUnreadableFolderIsExplained: opening a folder that cannot be read
// says so, naming it. Root reads any folder whatever its mode, so as root
// the test runs again as user nobody (with the fixtures copied where nobody
// can read them); what the child reports decides.
func TestUnreadableFolderIsExplained(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		cmd, dir := testchild.AsNobody(t, "-test.run=^TestUnreadableFolderIsExplained$", "-test.count=1", "-test.v")
		testchild.CopyTree(t, filepath.Join("..", "testdata", "audio"), filepath.Join(dir, "testdata", "audio"))
		cmd.Dir = filepath.Join(dir, "ui")
		if err := os.Mkdir(cmd.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out := testchild.Output(t, "the test as user nobody", cmd)
		if !strings.Contains(string(out), "--- PASS: TestUnreadableFolderIsExplained") {
			t.Fatalf("the test as user nobody did not pass:\n%s", out)
		}
		return
	}
	e := newEnv(t, fakeapi.Config{})
	locked := filepath.Join(e.audio, "more")
	if err := os.Chmod(locked, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("enter") // the cursor starts on more/
	if scr := d.screen(); !strings.Contains(scr, "cannot open "+locked+": permission denied") {
		t.Fatalf("no explanation for an unreadable folder:\n%s", scr)
	}
}

// TestDiarizeSetsWhatItNeeds: switching diarize on sets verbose_json and word
// timestamps, on screen and in what is sent; a translation cannot be
// diarized and the form says why.
func TestDiarizeSetsWhatItNeeds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("down", "enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "┃ Task") })
	d.key("tab", "tab", "right", "right", "tab") // format srt, then onto diarize
	d.key("left")                                // Yes
	scr := d.screen()
	if !strings.Contains(scr, "diarize needs response format verbose_json and timestamps word,segment: set") {
		t.Fatalf("no explanation of what diarize changed:\n%s", scr)
	}
	lines := strings.Split(scr, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Response format") && !strings.Contains(lines[i+1], "verbose_json") {
			t.Fatalf("the format field does not show verbose_json:\n%s", scr)
		}
	}
	d.key("ctrl+s")
	d.waitFor("the upload", 10*time.Second, func(string) bool { return e.fake.SubmitCount() == 1 })
	f := e.fake.Requests()[0].Fields
	if f["diarize"] != "true" || f["response_format"] != "verbose_json" || f["timestamp_granularities"] != "word,segment" {
		t.Fatalf("sent %v", f)
	}

	// Translate: diarize goes off, with the reason.
	d.key("tab")
	d.waitFor("files", 5*time.Second, func(s string) bool { return strings.Contains(s, "Files") })
	d.key("enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "┃ Task") })
	if !d.m.form.diarize {
		t.Fatal("the form did not remember diarize")
	}
	d.key("right") // translate
	if scr := d.screen(); !strings.Contains(scr, "translations cannot be diarized") || d.m.form.diarize {
		t.Fatalf("translate did not switch diarize off with a reason:\n%s", scr)
	}
}

// TestCompactsAtStart: a history of mostly superseded events is compacted
// in the background after the first load, without losing a submission.
func TestCompactsAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	const subs = 2000
	var evs []store.Event
	for i := range subs {
		id := fmt.Sprintf("20261120T090000.%06dZ-abcdef", i)
		evs = append(evs, store.Event{Kind: store.KindStarted, ID: id, File: "/r/a.wav", Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3"},
			store.Event{Kind: store.KindSubmitted, ID: id, BatchID: "b" + id, AccountID: "acct"})
		for j := range 15 {
			evs = append(evs, store.Event{Kind: store.KindStatus, ID: id, Status: fmt.Sprintf("processing %d", j)})
		}
		evs = append(evs, store.Event{Kind: store.KindStatus, ID: id, Status: "failed: expired"})
	}
	if err := e.st.Append(t.Context(), evs...); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.waitFor("the compaction notice", 10*time.Second, func(s string) bool { return strings.Contains(s, "history compacted: 36000 → 6000 lines") })
	d.key("tab")
	if _, err := os.Stat(e.st.Path() + ".bak"); err != nil {
		t.Fatalf("no backup of the old history: %v", err)
	}
	got := loadHistory(t, e.st)
	if len(got) != subs || got[0].ServerStatus != "failed: expired" || got[0].BatchID == "" {
		t.Fatalf("after compaction: %d submissions, first %+v", len(got), got[0])
	}
	if !strings.Contains(d.screen(), "2000 submissions") {
		t.Fatalf("the table lost rows:\n%s", d.screen())
	}
}

// TestNotFoundStopsBackgroundChecks: a job the server answers 404 for shows
// as "∅ not found", is no longer checked in the background, and r asks
// again.
func TestNotFoundStopsBackgroundChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Status: map[int]fakeapi.Fault{0: {Kind: fakeapi.NotFound}}}})
	d := drive(t, New(e.deps, e.opts))
	d.size(120, 30)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the not found row", 10*time.Second, func(s string) bool { return strings.Contains(s, "∅ not found") })
	// Background checks run every 20-50 ms here: after a few of those
	// intervals, none came.
	n := e.fake.StatusCount()
	deadline := time.Now().Add(400 * time.Millisecond)
	for time.Now().Before(deadline) {
		d.pump()
		time.Sleep(20 * time.Millisecond)
	}
	if m := e.fake.StatusCount(); m != n {
		t.Fatalf("%d background checks of a job that is not found", m-n)
	}
	subs := loadHistory(t, e.st)
	if len(subs) != 1 || subs[0].StatusHTTPStatus != 404 || subs[0].ServerStatus != "" {
		t.Fatalf("history: %+v", subs)
	}
	d.key("r")
	d.waitFor("the check on request", 5*time.Second, func(s string) bool {
		return e.fake.StatusCount() == n+1 && strings.Contains(s, "not found: the server does not know this job")
	})
}

// TestRecheckUnknownSaysWhatUnknownMeans: r on an unknown outcome without a
// batch id explains that a job may exist but cannot be checked.
func TestRecheckUnknownSaysWhatUnknownMeans(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{1: {Kind: fakeapi.ServerError}}}})
	d := drive(t, New(e.deps, e.opts))
	d.size(200, 30)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the unknown outcome", 10*time.Second, func(s string) bool { return strings.Contains(s, "unknown outcome") })
	d.key("tab")
	d.waitFor("the unknown row", 5*time.Second, func(s string) bool { return strings.Contains(s, "? unknown") })
	d.key("r")
	if scr := d.screen(); !strings.Contains(scr, "a batch job may exist, but no batch id came back to check it with") ||
		strings.Contains(scr, "never accepted") {
		t.Fatalf("r on an unknown outcome:\n%s", scr)
	}
}
