package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestWrongKeyIsNotADeadEnd: an upload refused with HTTP 401 offers K on
// its History row; another key entered there (not saved) is used for the
// resubmission, which goes through.
func TestWrongKeyIsNotADeadEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{APIKey: testKey})
	e.deps.APIKey = "fw-wrong-key-0000"
	var saved []string
	e.deps.SaveKey = func(k string) error { saved = append(saved, k); return nil }
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(100, 30)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the 401", 10*time.Second, func(s string) bool { return strings.Contains(s, "401") })
	d.key("tab")
	scr := d.waitFor("the refused row", 5*time.Second, func(s string) bool { return strings.Contains(s, "✗ failed") })
	if !strings.Contains(lineOf(scr, "x resubmit"), "K enter another API key") {
		t.Fatalf("the 401 row does not offer another key:\n%s", scr)
	}
	d.key("K")
	d.waitFor("the key prompt", 5*time.Second, func(s string) bool { return strings.Contains(s, "Enter another API key") })
	d.send(tea.PasteMsg{Content: testKey})
	d.key("enter", "n")
	scr = d.waitFor("History again", 5*time.Second, func(s string) bool { return strings.Contains(s, "History") && strings.Contains(s, "for this session") })
	if !strings.Contains(scr, "key …"+testKey[len(testKey)-4:]) || len(saved) != 0 {
		t.Fatalf("the new key is not in use, or was saved (%q):\n%s", saved, scr)
	}
	d.key("x")
	d.waitFor("the resubmission", 10*time.Second, func(string) bool { return len(e.fake.Jobs()) == 1 })
	subs := loadHistory(t, e.st)
	if len(subs) != 2 || subs[1].Outcome != store.OutcomeSubmitted || subs[1].ResubmitOf != subs[0].ID {
		t.Fatalf("history after the resubmission: %+v", subs)
	}
}

// TestHistoryColumnsGiveWay: the file name keeps the most room and the
// batch id shortens first (at 80 columns the file had 11 characters and
// the batch id 15); below that the least important columns go: the task
// first, the response format last.
func TestHistoryColumnsGiveWay(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		w, minFile  int
		gone, shown []string
	}{
		{w: 60, minFile: 14, gone: []string{"Task", "Endpt", "Length"}},
		{w: 80, minFile: 16, gone: []string{"Task"}, shown: []string{"Length", "Endpt", "Format"}},
		{w: 120, minFile: 30, shown: []string{"Length", "Task"}},
	} {
		cols := layoutColumns(c.w, 30)
		if f, b := cols[colFile].w, cols[colBatch].w; f < c.minFile || (c.w <= 80 && b >= f) {
			t.Errorf("at %d columns: file %d, batch id %d", c.w, f, b)
		}
		hdr := cols.header()
		for _, g := range c.gone {
			if strings.Contains(hdr, g) {
				t.Errorf("at %d columns the header still has %s: %q", c.w, g, hdr)
			}
		}
		for _, s := range c.shown {
			if !strings.Contains(hdr, s) {
				t.Errorf("at %d columns the header has no %s: %q", c.w, s, hdr)
			}
		}
		if n := lineWidth(hdr); n > c.w {
			t.Errorf("at %d columns the header is %d wide", c.w, n)
		}
	}
}

// TestHistorySortAndPosition: S sorts by time, file and status; the title
// says which, and where the cursor is.
func TestHistorySortAndPosition(t *testing.T) {
	t.Parallel()
	d, e := onPage(t, "history")
	d.key("down", "down")
	if scr := d.screen(); !strings.Contains(scr, "newest first · 3/5") {
		t.Fatalf("no position in the title:\n%s", scr)
	}
	firstRow := func() string {
		lines := strings.Split(d.screen(), "\n")
		return lines[3]
	}
	d.key("S")
	if scr := d.screen(); !strings.Contains(scr, "by file") || !strings.Contains(firstRow(), "call.m4a") {
		t.Fatalf("sorted by file:\n%s", scr)
	}
	// A submission that comes in later takes its place in the file order.
	added := sampleHistory(t, e)[0]
	added.ID, added.File = "20261120T100000.000000Z-aaaaaa", "/recordings/alpha.wav"
	d.send(historyChangedMsg{subs: []store.Submission{added}})
	if !strings.Contains(firstRow(), "alpha.wav") {
		t.Fatalf("a new file is not first by file:\n%s", d.screen())
	}
	d.key("S")
	if scr := d.screen(); !strings.Contains(scr, "by status") || !strings.Contains(firstRow(), "memo.wav") {
		t.Fatalf("sorted by status (failed first):\n%s", scr)
	}
	d.key("S")
	if !strings.Contains(firstRow(), "alpha.wav") || !strings.Contains(d.screen(), "newest first") {
		t.Fatalf("back to newest first:\n%s", d.screen())
	}
}

// openForm opens the form for hello.wav and waits for it.
func openForm(t *testing.T, d *driver) {
	t.Helper()
	for i := 0; i < 10 && !strings.Contains(selectedLine(d.screen()), "hello.wav"); i++ {
		d.key("down")
	}
	d.key("enter")
	d.waitFor("the form", 5*time.Second, func(s string) bool { return strings.Contains(s, "┃ Task") })
}

// TestFormValuesSurviveEsc: values chosen in the form are there again after
// esc and back; q on a choice never quits; ctrl+c asks when there are
// edits (and a second ctrl+c quits).
func TestFormValuesSurviveEsc(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	openForm(t, d)
	d.key("tab", "tab", "right", "right") // response format: srt
	if d.m.form.format != "srt" {
		t.Fatalf("format %q", d.m.form.format)
	}
	d.key("q")
	if d.quit || d.m.page != pageForm {
		t.Fatal("q in the form quit")
	}
	d.key("esc")
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "audio file(s)") })
	d.key("enter")
	d.waitFor("the form again", 5*time.Second, func(s string) bool { return strings.Contains(s, "┃ Task") })
	if d.m.form.format != "srt" {
		t.Fatalf("the form came back with format %q, want srt", d.m.form.format)
	}
	d.key("tab", "tab", "right") // an edit in this form too
	d.key("ctrl+c")
	isDialog(t, d.screen(), "Quit fwbatch?", "The form's values were changed and nothing was submitted: quitting forgets them.", "Quit", "Stay")
	d.key("n")
	if d.quit {
		t.Fatal("n quit")
	}
	d.key("ctrl+c", "ctrl+c")
	if !d.quit {
		t.Fatal("a second ctrl+c did not quit")
	}
}

// TestEscClosesHelp: the full help goes away with esc, and the esc does
// nothing else.
func TestEscClosesHelp(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	d.key("?")
	if !d.m.help.ShowAll {
		t.Fatal("? did not open the help")
	}
	d.key("esc")
	if d.m.help.ShowAll || d.m.page != pageDetails {
		t.Fatalf("esc: help %v, page %v", d.m.help.ShowAll, d.m.page)
	}
}

// TestDiarizeOffRestores: switching diarize off puts back the format and
// timestamps switching it on had set; EN is taken as en.
func TestDiarizeOffRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(100, 30)
	openForm(t, d)
	d.key("tab", "tab", "right", "right", "tab") // srt, then onto diarize
	d.key("left")                                // Yes
	if f := d.m.form; f.format != "verbose_json" || f.gran != "word,segment" {
		t.Fatalf("diarize on: %q %q", f.format, f.gran)
	}
	d.key("right") // No
	if f := d.m.form; f.format != "srt" || f.gran != "" || !strings.Contains(d.screen(), "diarize off: response format srt and timestamps server default as before") {
		t.Fatalf("diarize off left %q %q:\n%s", f.format, f.gran, d.screen())
	}
	d.key("tab")
	for _, r := range "EN" {
		d.key(string(r))
	}
	d.key("ctrl+s")
	d.waitFor("the upload", 10*time.Second, func(string) bool { return e.fake.SubmitCount() == 1 })
	if f := e.fake.Requests()[0].Fields; f["language"] != "en" || f["response_format"] != "srt" {
		t.Fatalf("sent %v", f)
	}
}

// TestFilesFilter: / filters the names as they are typed (q is typed, not
// quit); enter keeps the filter, esc clears it; : still types a path.
func TestFilesFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "hello.mp3") })
	d.key("/")
	for _, r := range "Q" {
		d.key(string(r))
	}
	if d.quit || !strings.Contains(d.screen(), "(empty") {
		t.Fatalf("Q in the filter:\n%s", d.screen())
	}
	d.key("backspace", "w", "a", "enter")
	scr := d.screen()
	if !strings.Contains(scr, "hello.wav") || strings.Contains(scr, "hello.mp3") || strings.Contains(scr, "more/") || !strings.Contains(scr, "1 match /wa") {
		t.Fatalf("filter wa:\n%s", scr)
	}
	d.key("esc")
	if scr := d.screen(); !strings.Contains(scr, "hello.mp3") {
		t.Fatalf("esc did not clear the filter:\n%s", scr)
	}
	d.key(":")
	if scr := d.screen(); !strings.Contains(scr, "path: ") {
		t.Fatalf(": does not type a path:\n%s", scr)
	}
}

// TestDetailsShortScreen: at 60×16 Details still shows transcript lines,
// its fields folded to the most useful (i shows them all), and says where
// the transcript view stands.
func TestDetailsShortScreen(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	d.size(60, 16)
	scr := d.screen()
	if !strings.Contains(scr, "SPEAKER_00: Welcome") || !strings.Contains(scr, "i shows them") || !strings.Contains(scr, "lines 1–") {
		t.Fatalf("Details at 60×16:\n%s", scr)
	}
	d.key("i")
	if scr := d.screen(); !strings.Contains(scr, "Uploaded by") {
		t.Fatalf("i did not show every field:\n%s", scr)
	}
}

// TestDetailsFooterHasFormat: with a result to save, the short footer
// names f (the format s saves in) from 80 columns, and ? as well at 100.
func TestDetailsFooterHasFormat(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	for _, w := range []int{80, 100} {
		d.size(w, 24)
		lines := strings.Split(d.screen(), "\n")
		footer := lines[len(lines)-1]
		if !strings.Contains(footer, "f format") || (w >= 100 && !strings.Contains(footer, "? help")) {
			t.Errorf("at %d columns the footer has no f or ?: %q", w, footer)
		}
	}
}

// TestEmptyLogWraps: the empty message log's text is whole at 60 columns.
func TestEmptyLogWraps(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "history")
	d.size(60, 16)
	d.key("L")
	joined := strings.Join(strings.Fields(d.screen()), " ")
	if !strings.Contains(joined, "what happens in the background are kept here.") {
		t.Fatalf("the empty log's text is cut:\n%s", d.screen())
	}
}

// TestDetailsAllFieldsScroll: with every field (i) on a short screen, the
// fields and the transcript scroll as one, and the screen says where it
// stands: nothing is out of reach.
func TestDetailsAllFieldsScroll(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	d.size(60, 16)
	d.key("i")
	seen := d.screen()
	if !strings.Contains(seen, "lines 1–") {
		t.Fatalf("no position on a body longer than the screen:\n%s", seen)
	}
	for range 12 {
		d.key("j")
		seen += d.screen()
	}
	if !strings.Contains(seen, "Options") || !strings.Contains(seen, "SPEAKER_00: Welcome") {
		t.Fatalf("j did not reach the options and the transcript:\n%s", seen)
	}
	d.key("G")
	if scr := d.screen(); !strings.Contains(scr, "SPEAKER_01") || !strings.Contains(scr, "(100%)") {
		t.Fatalf("G did not go to the end of the transcript:\n%s", scr)
	}
	d.key("g")
	if scr := d.screen(); !strings.Contains(scr, "File ") {
		t.Fatalf("g did not go back to the first field:\n%s", scr)
	}
}

// TestDetailsWrapsLongTexts: a long message is wrapped, never cut.
func TestDetailsWrapsLongTexts(t *testing.T) {
	t.Parallel()
	d, e := onPage(t, "details")
	sub := sampleHistory(t, e)[3] // the unknown outcome, with a long message
	d.send(openDetailsMsg{id: sub.ID})
	d.size(60, 30)
	joined := strings.Join(strings.Fields(d.screen()), " ")
	if !strings.Contains(joined, strings.Join(strings.Fields(sub.Message), " ")) {
		t.Fatalf("the message is not whole on screen:\n%s", d.screen())
	}
}

// TestSaveToFolder: o takes a folder, and saves the transcript in it under
// the audio file's name.
func TestSaveToFolder(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	dir := t.TempDir()
	d.key("o")
	d.m.details.saveAs.SetValue(dir)
	d.key("enter")
	want := filepath.Join(dir, "interview.json")
	d.waitFor("saved", 5*time.Second, func(s string) bool { return strings.Contains(s, "saved "+want) })
	if _, err := os.Stat(want); err != nil {
		t.Fatal(err)
	}
}

// TestFormSaysWhatWillNotBeSent: a file picked by path that the upload
// would refuse (not audio, empty) is said so in the form; ctrl+s sends the
// others, and the message log keeps why the rest was not sent.
func TestFormSaysWhatWillNotBeSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	if err := os.WriteFile(filepath.Join(e.audio, "empty.wav"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(120, 30)
	for i := 0; i < 10 && !strings.Contains(selectedLine(d.screen()), "hello.flac"); i++ {
		d.key("down")
	}
	d.key("space")
	d.key(":")
	d.send(tea.PasteMsg{Content: "notes.txt"})
	d.key("enter")
	scr := d.waitFor("the form's verdict", 5*time.Second, func(s string) bool { return strings.Contains(s, "not sent") })
	if !strings.Contains(scr, "Submit 1 file(s)") || !strings.Contains(scr, "1 not sent: notes.txt: ") {
		t.Fatalf("the form does not say notes.txt will not be sent:\n%s", scr)
	}
	d.key("ctrl+s")
	d.waitFor("the upload", 10*time.Second, func(string) bool { return len(e.fake.Jobs()) == 1 })
	if n := e.fake.SubmitCount(); n != 1 || e.fake.Requests()[0].FileName != "hello.flac" {
		t.Fatalf("%d uploads; first %q", n, e.fake.Requests()[0].FileName)
	}
	d.key("L")
	if scr := d.screen(); !strings.Contains(scr, "notes.txt: not sent:") {
		t.Fatalf("the message log does not say why notes.txt was not sent:\n%s", scr)
	}
	d.key("esc")

	// A file that is empty: alone in the form, nothing can be sent.
	d.key("tab")
	d.waitFor("Files", 5*time.Second, func(s string) bool { return strings.Contains(s, "audio file(s)") })
	d.key(":")
	d.send(tea.PasteMsg{Content: "empty.wav"})
	d.key("enter")
	d.waitFor("the verdict", 5*time.Second, func(s string) bool { return strings.Contains(s, "empty.wav: ") && strings.Contains(s, "not sent") })
	d.key("ctrl+s")
	if scr := d.screen(); !strings.Contains(scr, "no file here can be sent") || e.fake.SubmitCount() != 1 {
		t.Fatalf("ctrl+s with nothing to send:\n%s", scr)
	}
}

// TestUploadsKey: u goes back to Submitting from anywhere while uploads
// run, as the header says.
func TestUploadsKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{ReadRate: 200_000})
	if err := os.Truncate(filepath.Join(e.audio, "hello.wav"), 8<<20); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(100, 30)
	d.key("u")
	if d.m.page != pageFiles || !strings.Contains(d.screen(), "nothing has been uploaded") {
		t.Fatalf("u with nothing uploaded:\n%s", d.screen())
	}
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the upload", 10*time.Second, func(s string) bool { return strings.Contains(s, "↑ 1 uploading · u") })
	d.key("tab")
	d.waitFor("History", 5*time.Second, func(s string) bool { return strings.Contains(s, "History") })
	d.key("u")
	if d.m.page != pageSubmit {
		t.Fatalf("u did not open Submitting:\n%s", d.screen())
	}
}

// TestKeyPromptNamesTheConfigFile: saving a typed key says where it goes.
func TestKeyPromptNamesTheConfigFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{})
	e.deps.APIKey = ""
	e.deps.ConfigPath = "/home/me/.config/fwbatch/config.json"
	e.deps.SaveKey = func(string) error { return nil }
	d := drive(t, New(e.deps, e.opts))
	d.size(100, 30)
	d.key("K")
	d.send(tea.PasteMsg{Content: "fw-a-key-to-save-1234"})
	d.key("enter")
	if scr := d.screen(); !strings.Contains(scr, "It is stored in /home/me/.config/fwbatch/config.json with mode 0600.") {
		t.Fatalf("the prompt does not name the config file:\n%s", scr)
	}
}
