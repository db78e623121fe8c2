package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// isDialog checks that the screen shows a dialog: a box with the title,
// every word of text (wrapped, not cut), the two buttons, and a footer of
// the dialog's own keys only.
func isDialog(t *testing.T, scr, title, text, yes, no string) {
	t.Helper()
	lines := strings.Split(scr, "\n")
	footer := lines[len(lines)-1]
	var box []string
	for _, l := range lines {
		// The box is drawn over the screen: what is left of its border is
		// the screen's.
		if i := strings.IndexAny(l, "│╭╰"); i >= 0 {
			box = append(box, strings.Trim(strings.TrimSpace(l[i:]), "│╭╮╰╯─ "))
		}
	}
	inBox := strings.Join(strings.Fields(strings.Join(box, " ")), " ")
	switch {
	case len(box) < 4:
		t.Fatalf("no dialog box:\n%s", scr)
	case !strings.Contains(inBox, title):
		t.Fatalf("the dialog's title %q is not in the box %q:\n%s", title, inBox, scr)
	case !strings.Contains(inBox, strings.Join(strings.Fields(text), " ")):
		t.Fatalf("the dialog does not say %q whole; its box reads %q:\n%s", text, inBox, scr)
	case !strings.Contains(inBox, yes) || !strings.Contains(inBox, no):
		t.Fatalf("the dialog lacks its buttons %q and %q:\n%s", yes, no, scr)
	case !strings.Contains(footer, "y "+strings.ToLower(yes)) || !strings.Contains(footer, "n/esc "+strings.ToLower(no)):
		t.Fatalf("the footer does not show the dialog's keys: %q", footer)
	}
}

// TestQuitDialog: ctrl+c while uploads run asks in a box that counts them;
// keys other than the answers do nothing; no keeps the uploads; a second
// ctrl+c quits at once, the upload recorded as interrupted and the program
// saying the user interrupted uploads (cli exits 1).
func TestQuitDialog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{ReadRate: 200_000})
	if err := os.Truncate(filepath.Join(e.audio, "hello.wav"), 8<<20); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(80, 24)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the upload to start", 10*time.Second, func(s string) bool { return strings.Contains(s, "↑ 1 uploading") })
	d.key("ctrl+c")
	isDialog(t, d.screen(), "Quit fwbatch?", "1 upload running. Quitting interrupts them: each is recorded as interrupted, and must be submitted again. (A second ctrl+c quits at once.)", "Quit and interrupt", "Keep uploading")
	d.key("tab", "q", "j", "?", "enter") // enter answers the focused button: Keep uploading
	if d.quit || d.m.dialog != nil || d.m.page != pageSubmit || d.m.uploads.inFlight() != 1 {
		t.Fatalf("keys leaked past the dialog, or enter did not keep uploading (page %v, quit %v):\n%s", d.m.page, d.quit, d.screen())
	}
	d.key("ctrl+c", "ctrl+c")
	if !d.quit || !d.m.uploads.interrupted.Load() {
		t.Fatalf("a second ctrl+c did not quit at once (quit %v)", d.quit)
	}
	d.m.uploads.Wait()
	if subs := loadHistory(t, e.st); len(subs) != 1 || subs[0].Outcome != store.OutcomeInterrupted {
		t.Fatalf("history after ctrl+c ctrl+c: %+v", subs)
	}
}

// TestResubmitDialog: at 80 columns the warning is read whole in a box
// (the one-line question lost its end, the footer still said "y copy batch
// id"), enter alone does not resubmit, y does.
func TestResubmitDialog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{Faults: fakeapi.Faults{Submit: map[int]fakeapi.Fault{1: {Kind: fakeapi.ServerError}}}})
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(80, 24)
	submitFromForm(t, d, "hello.wav")
	d.waitFor("the unknown outcome", 10*time.Second, func(s string) bool { return strings.Contains(s, "unknown") })
	d.key("tab")
	d.waitFor("the unknown row", 5*time.Second, func(s string) bool { return strings.Contains(s, "? unknown") })
	d.key("x")
	isDialog(t, d.screen(), "Resubmit hello.wav?", "The first upload's outcome is unknown: a job may exist already, and resubmitting may create a duplicate (billed twice). The file is uploaded again, with the same options, as a new entry.", "Resubmit", "Cancel")
	if strings.Contains(d.screen(), "copy batch id") {
		t.Fatalf("the footer offers the screen's keys under the dialog:\n%s", d.screen())
	}
	d.key("enter")
	if d.m.dialog != nil || e.fake.SubmitCount() != 1 {
		t.Fatal("enter on the dialog resubmitted: its focus must start on Cancel")
	}
	d.key("x", "y")
	d.waitFor("the second upload", 10*time.Second, func(string) bool { return e.fake.SubmitCount() == 2 })
}

// TestHideDialog: d asks in a box that names the file; y hides it.
func TestHideDialog(t *testing.T) {
	t.Parallel()
	d, e := onPage(t, "history")
	d.key("d")
	isDialog(t, d.screen(), "Hide podcast.ogg?", "It leaves the History list. Its record stays in the history file (fwbatch list --all shows it), and its job is not checked any more.", "Hide", "Keep")
	d.key("n")
	if strings.Contains(d.screen(), "Hide podcast.ogg?") {
		t.Fatal("n did not close the dialog")
	}
	// Hiding stops the job's checks and cannot be undone in the UI: enter
	// alone answers Keep.
	d.key("d", "enter")
	if d.m.dialog != nil || !strings.Contains(d.screen(), "podcast.ogg") {
		t.Fatalf("enter on the hide dialog hid the entry: its focus must start on Keep\n%s", d.screen())
	}
	writeSample(t, e.st, sampleHistory(t, e))
	d.key("d", "y")
	d.waitFor("the row to go", 5*time.Second, func(s string) bool { return !strings.Contains(s, "podcast.ogg") })
}

// TestCancelUploadsDialog: esc on Submitting asks first, counting running
// and queued uploads; yes records the running one as interrupted.
func TestCancelUploadsDialog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakeapi.Config{ReadRate: 200_000})
	e.deps.Concurrency = 1
	if err := os.Truncate(filepath.Join(e.audio, "hello.mp3"), 8<<20); err != nil {
		t.Fatal(err)
	}
	d := drive(t, New(e.deps, e.opts))
	stopUploads(t, d)
	d.size(100, 30)
	submitFromForm(t, d, "hello.mp3", "hello.wav")
	d.waitFor("one running, one queued", 10*time.Second, func(s string) bool { return strings.Contains(s, "↑ 1 uploading, 1 queued") })
	d.key("esc")
	isDialog(t, d.screen(), "Cancel the uploads?", "1 upload running and 1 queued. Uploads running now stop and are recorded as interrupted; queued files are not sent.", "Cancel uploads", "Keep uploading")
	d.key("y")
	d.waitFor("both finished", 10*time.Second, func(s string) bool { return strings.Contains(s, "all finished") })
	if !d.m.uploads.interrupted.Load() || e.fake.SubmitCount() != 1 {
		t.Fatalf("interrupted %v, %d uploads reached the fake", d.m.uploads.interrupted.Load(), e.fake.SubmitCount())
	}
}

// TestOverwriteDialog: saving a transcript where a file exists asks in a
// box that names the path; n keeps the file, y overwrites it.
func TestOverwriteDialog(t *testing.T) {
	t.Parallel()
	d, _ := onPage(t, "details")
	dir := t.TempDir()
	d.key("o")
	d.m.details.saveAs.SetValue(filepath.Join(dir, "talk.json"))
	if err := os.WriteFile(filepath.Join(dir, "talk.json"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.key("enter")
	scr := d.waitFor("the question", 5*time.Second, func(s string) bool { return strings.Contains(s, "Overwrite") })
	isDialog(t, scr, "Overwrite talk.json?", filepath.Join(dir, "talk.json")+" exists.", "Overwrite", "Keep it")
	d.key("n")
	if got, _ := os.ReadFile(filepath.Join(dir, "talk.json")); string(got) != "mine" {
		t.Fatal("n overwrote the file")
	}
	d.key("o")
	d.m.details.saveAs.SetValue(filepath.Join(dir, "talk.json"))
	d.key("enter")
	d.waitFor("the question", 5*time.Second, func(s string) bool { return strings.Contains(s, "Overwrite") })
	d.key("y")
	d.waitFor("saved", 5*time.Second, func(s string) bool { return strings.Contains(s, "saved "+filepath.Join(dir, "talk.json")) })
	if got, _ := os.ReadFile(filepath.Join(dir, "talk.json")); string(got) == "mine" {
		t.Fatal("y did not overwrite the file")
	}
}
