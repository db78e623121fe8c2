package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// sendFirst submits files through the history, as another fwbatch would
// have, and waits for their outcomes.
func (e *env) sendFirst(opts submit.Options, files ...string) {
	e.t.Helper()
	c, err := e.deps.Client(testKey)
	if err != nil {
		e.t.Fatal(err)
	}
	items := make([]submit.BatchItem, len(files))
	for i, f := range files {
		items[i] = submit.BatchItem{File: f, Options: opts}
	}
	c.RunBatch(context.Background(), e.st, items, 2, func(ev submit.BatchEvent) {
		if ev.Type == submit.EventDone && (ev.Outcome != store.KindSubmitted || ev.Err != nil) {
			e.t.Fatalf("%s: %s %v", ev.Item.File, ev.Outcome, ev.Err)
		}
	})
}

// row is the line of Files that shows name.
func row(scr, name string) string {
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, name) {
			return l
		}
	}
	return ""
}

// TestFilesShowStates: Files shows each audio file's state beside its
// size, glyph and word, as the states come in: a recording sent from
// another folder (moved since) is recognised; n marks the files without a
// job, d hides the done ones, and ? lists both keys.
func TestFilesShowStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Polls: 1000, Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{2: {Kind: fakeapi.Unauthorized}}}})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour // the test says when the job completes
	// hello.flac was sent from another folder and moved here since; the
	// wav was refused; the mp3 was never sent.
	elsewhere := filepath.Join(e.dir, "elsewhere")
	os.MkdirAll(elsewhere, 0o755)
	data, _ := os.ReadFile(filepath.Join(e.audio, "hello.flac"))
	os.WriteFile(filepath.Join(elsewhere, "old-name.flac"), data, 0o644)
	e.sendFirst(submit.Options{}, filepath.Join(elsewhere, "old-name.flac"))
	c, _ := e.deps.Client(testKey)
	c.RunBatch(context.Background(), e.st, []submit.BatchItem{{File: filepath.Join(e.audio, "hello.wav")}}, 1, nil)

	d := drive(t, New(e.deps, e.opts))
	d.size(100, 24)
	scr := d.waitFor("the states", 5*time.Second, func(s string) bool {
		return strings.Contains(row(s, "hello.flac"), "◌ processing") && strings.Contains(row(s, "hello.wav"), "✗ failed")
	})
	if r := row(scr, "hello.mp3"); strings.ContainsAny(r, "✓◌✗?!") || !strings.Contains(r, "KiB") {
		t.Fatalf("a file never sent shows a state: %q", r)
	}
	if r := row(scr, "hello.flac"); strings.Index(r, "processing") > strings.Index(r, "KiB") {
		t.Errorf("the state is not beside the size: %q", r)
	}

	d.key("n")
	scr = d.screen()
	if !strings.Contains(scr, "2 marked") || !strings.Contains(row(scr, "hello.mp3"), "●") || !strings.Contains(row(scr, "hello.wav"), "●") || strings.Contains(row(scr, "hello.flac"), "●") {
		t.Fatalf("n marked:\n%s", scr)
	}
	// Done files hide: complete the job first, its transcript saved, as
	// another fwbatch would have (a completed job without a saved result
	// is fetched, and this fake still says processing).
	saved := filepath.Join(e.dir, "old-name.json")
	os.WriteFile(saved, []byte(`{"text":"hello"}`), 0o644)
	e.st.Append(context.Background(), store.Event{Kind: store.KindStatus, ID: loadHistory(t, e.st)[0].ID, Status: "completed", ResultPath: saved})
	d.send(watchTickMsg{})
	d.waitFor("done", 5*time.Second, func(s string) bool { return strings.Contains(row(s, "hello.flac"), "✓ done") })
	d.key("d")
	scr = d.screen()
	if strings.Contains(scr, "hello.flac") || !strings.Contains(scr, "1 done hidden (d shows)") || !strings.Contains(scr, "hello.mp3") {
		t.Fatalf("d did not hide the done file:\n%s", scr)
	}
	d.key("?")
	scr = d.screen()
	if !strings.Contains(scr, "n     mark not yet done") || !strings.Contains(scr, "d     show done") {
		t.Fatalf("? does not list n and d:\n%s", scr)
	}
	d.key("esc", "d")
	if scr := d.screen(); !strings.Contains(scr, "hello.flac") {
		t.Fatalf("d again did not show it:\n%s", scr)
	}
}

// TestFilesFirstFrameDoesNotWait: the listing shows before any state is
// known, and says the states are coming.
func TestFilesFirstFrameDoesNotWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	m := New(e.deps, e.opts)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 24})
	// The folder listed, the history not read yet.
	entries, err := readDir(e.audio)
	if err != nil {
		t.Fatal(err)
	}
	m.files.seq = 1
	m.Update(dirListedMsg{seq: 1, dir: e.audio, entries: entries})
	scr := m.View().Content
	if !strings.Contains(scr, "hello.flac") || !strings.Contains(scr, "reading the history") {
		t.Fatalf("first frame:\n%s", scr)
	}
}

// TestFormCountsAlreadySubmitted: the form says how many of its files have
// a job with the options as they stand, the count follows an option, the
// done ones are skipped by default and sent again when asked.
func TestFormCountsAlreadySubmitted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Polls: 1000})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	srt := submit.Options{ResponseFormat: "srt"}
	e.sendFirst(srt, filepath.Join(e.audio, "hello.flac"))
	e.deps.Defaults = srt
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.waitFor("the history", 5*time.Second, func(s string) bool { return strings.Contains(row(s, "hello.flac"), "processing") })
	d.key("a", "down", "enter")
	d.waitFor("the count", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "1 of 3 already submitted with these options: skipped")
	})
	// Another response format: none is done for it.
	d.key("tab", "tab", "right")
	d.waitFor("the new count", time.Second, func(s string) bool { return strings.Contains(s, "none of the 3 has a job with these options yet") })
	d.key("left")
	d.waitFor("the count again", time.Second, func(s string) bool { return strings.Contains(s, "1 of 3 already submitted") })

	before := e.fake.SubmitCount()
	d.key("ctrl+s")
	d.waitFor("History", 10*time.Second, func(s string) bool { return strings.Contains(s, "3 submissions") && d.m.uploads.inFlight() == 0 })
	if n := e.fake.SubmitCount() - before; n != 2 {
		t.Fatalf("%d files sent, want the 2 not submitted yet", n)
	}
	d.key("L")
	if scr := d.screen(); !strings.Contains(scr, "not sent, already submitted with these options: hello.flac") {
		t.Fatalf("the skip is not in the log:\n%s", scr)
	}

	// Submit again: the form's choice.
	d.key("esc", "tab")
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(row(s, "hello.mp3"), "processing") })
	d.key("a", "down", "enter")
	d.waitFor("the count", 5*time.Second, func(s string) bool { return strings.Contains(s, "3 of 3 already submitted") })
	for range 5 { // to the last field of the group
		d.key("tab")
	}
	d.key("right")
	d.waitFor("the choice", time.Second, func(s string) bool { return strings.Contains(s, "sent again, as new jobs") })
	before = e.fake.SubmitCount()
	d.key("ctrl+s")
	d.waitFor("History", 10*time.Second, func(s string) bool { return strings.Contains(s, "6 submissions") && d.m.uploads.inFlight() == 0 })
	if n := e.fake.SubmitCount() - before; n != 3 {
		t.Fatalf("%d files sent again, want 3", n)
	}
}

// TestFormSkipsWhatAnotherProcessSent: the form counted nothing done, then
// another fwbatch (a sync) started sending one of its files: that upload
// is not made (decided under the history's lock when it would start).
func TestFormSkipsWhatAnotherProcessSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Polls: 1000})
	e.deps.PollFirst, e.deps.PollMax = time.Hour, time.Hour
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "hello.wav") })
	d.key("a", "down", "enter")
	d.waitFor("the count", 5*time.Second, func(s string) bool { return strings.Contains(s, "none of the 3") })
	// Meanwhile, elsewhere: the same recording (under another name),
	// being sent by a live process (this one's pid: alive).
	other, _ := store.Open(e.st.Path())
	fp, info, err := submit.FingerprintFile(filepath.Join(e.audio, "hello.wav"))
	if err != nil {
		t.Fatal(err)
	}
	mt := info.ModTime()
	o := submit.Options{}.WithDefaults()
	other.Append(context.Background(), store.Event{Kind: store.KindStarted, ID: store.NewID(), File: "/drop/copy.wav", Size: info.Size(), MTime: &mt,
		Fingerprint: fp, Task: o.Task, Endpoint: o.Endpoint, Model: o.Model, Options: o.Extra()})
	d.key("ctrl+s")
	d.waitFor("the uploads' end", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "3 submissions") && d.m.uploads.inFlight() == 0
	})
	if n := e.fake.SubmitCount(); n != 2 {
		t.Fatalf("%d files sent, want 2", n)
	}
	d.key("L")
	if scr := d.screen(); !strings.Contains(strings.Join(strings.Fields(scr), " "), "hello.wav: not sent: the same recording is being sent with these options by another fwbatch") {
		t.Fatalf("the log does not say why hello.wav was not sent:\n%s", scr)
	}
}

// TestDetailsSavesInAnyFormat: f picks the format s saves in; a diarized
// verbose_json result saved as srt has its cues and speakers.
func TestDetailsSavesInAnyFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.sendFirst(submit.Options{ResponseFormat: "verbose_json", Diarize: true, TimestampGranularities: "word"}, filepath.Join(e.audio, "hello.flac"))
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("tab")
	d.waitFor("completed", 10*time.Second, func(s string) bool { return strings.Contains(s, "completed") })
	d.key("enter")
	d.waitFor("the transcript", 5*time.Second, func(s string) bool { return strings.Contains(s, "SPEAKER_00") })
	d.key("f")
	if scr := d.screen(); !strings.Contains(scr, "s saves it as srt (f changes)") {
		t.Fatalf("f:\n%s", scr)
	}
	d.key("s")
	srt := filepath.Join(e.audio, "hello.srt")
	d.waitFor("saved", 5*time.Second, func(s string) bool { return strings.Contains(s, "saved "+srt) })
	data, err := os.ReadFile(srt)
	if err != nil || !strings.HasPrefix(string(data), "1\n00:00:00,000 --> 00:00:01,750\n[SPEAKER_00] Welcome to the fwbatch demo.\n") {
		t.Fatalf("%s: %v\n%s", srt, err, data)
	}
	for _, want := range []string{"vtt", "txt", "tsv", "as returned"} {
		d.key("f")
		if scr := d.screen(); want != "as returned" && !strings.Contains(scr, "s saves it as "+want) {
			t.Fatalf("f should pick %s:\n%s", want, scr)
		}
	}
	if scr := d.screen(); strings.Contains(scr, "s saves it as") {
		t.Fatalf("f did not come back to the result as returned:\n%s", scr)
	}
}

// TestFilesHideDoneKeepsCursorFile: d (show or hide done files) keeps the
// cursor on its file, or on the nearest one still shown, never on the row
// that happens to have the same position.
func TestFilesHideDoneKeepsCursorFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 24)
	d.waitFor("the listing and its states", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "hello.wav") && d.m.files.states.done
	})
	d.m.files.states.by[filepath.Join(e.audio, "hello.flac")] = recording.Status{State: recording.StateDone}
	for i := 0; i < 5 && !strings.Contains(selectedLine(d.screen()), "hello.flac"); i++ {
		d.key("down")
	}
	d.key("d")
	if l := selectedLine(d.screen()); !strings.Contains(l, "hello.mp3") {
		t.Fatalf("hiding the done file under the cursor: the cursor is on %q, want the next file, hello.mp3", l)
	}
	d.key("down")
	if l := selectedLine(d.screen()); !strings.Contains(l, "hello.wav") {
		t.Fatalf("down: cursor on %q", l)
	}
	d.key("d")
	if l := selectedLine(d.screen()); !strings.Contains(l, "hello.wav") {
		t.Fatalf("showing the done files moved the cursor from hello.wav to %q:\n%s", l, d.screen())
	}
}

// TestFilesSortNaturally: numbered recordings list by number (rec2 before
// rec10), folders first as ever.
func TestFilesSortNaturally(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	data, _ := os.ReadFile(filepath.Join(e.audio, "hello.wav"))
	for _, n := range []string{"rec10.wav", "rec2.wav", "rec1.wav", "Rec3.wav", "rec02b.wav"} {
		os.WriteFile(filepath.Join(e.audio, n), data, 0o644)
	}
	os.Mkdir(filepath.Join(e.audio, "z9"), 0o755)
	os.Mkdir(filepath.Join(e.audio, "z10"), 0o755)
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	scr := d.waitFor("the listing", 5*time.Second, func(s string) bool { return strings.Contains(s, "rec10.wav") })
	want := []string{"more", "z9", "z10", "hello.flac", "hello.mp3", "hello.wav", "rec1.wav", "rec2.wav", "rec02b.wav", "Rec3.wav", "rec10.wav"}
	at := -1
	for _, n := range want {
		i := strings.Index(scr, " "+n)
		if i < at {
			t.Fatalf("%s is listed out of order (want %v):\n%s", n, want, scr)
		}
		at = i
	}
}
