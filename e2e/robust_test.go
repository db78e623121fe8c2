package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// Issue 6: what happens to uploads when the terminal goes away or the
// process is signalled or killed, and how the UI behaves on odd terminals.

// slow is a fake that reads upload bodies at readRate bytes per second, so
// that a bigFile upload lasts about two seconds.
const (
	readRate = 16 << 20
	bigFile  = 32 << 20
)

func startSlowFake(t *testing.T, args ...string) *fake {
	t.Helper()
	return startFake(t, append([]string{"-polls", "1000", "-read-rate", fmt.Sprint(readRate)}, args...)...)
}

// midUpload starts the binary in tmux on the form for file and submits it,
// returning once the fake has read at least part of the body (and not all of
// it).
func midUpload(t *testing.T, f *fake, u *user, file string) (*tmuxtest.Session, int) {
	t.Helper()
	s := tmuxtest.Start(t, 100, 30, u.env, u.ui(file)...)
	focused(t, s, "Task")
	s.Keys("C-s")
	s.WaitText(wait, "Submitting")
	deadline := time.Now().Add(wait)
	for {
		if r := lastSubmit(f); r != nil && r.BodyRead >= 2<<20 {
			if r.BodyRead >= r.ContentLength {
				t.Fatalf("the fake read the whole body (%d bytes) before the test could act", r.BodyRead)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upload did not reach the fake; the screen shows:\n%s", s.Screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := s.PanePID()
	if pid <= 0 || !alive(pid) {
		t.Fatalf("no fwbatch process in the pane (pid %d)", pid)
	}
	return s, pid
}

// lastSubmit is the fake's latest upload request, or nil.
func lastSubmit(f *fake) *fakeapi.AdminRequest {
	var last *fakeapi.AdminRequest
	for _, r := range f.requests() {
		if r.Kind == "submit" {
			r := r
			last = &r
		}
	}
	return last
}

// alive reports whether pid is a running process (a zombie is not: an
// orphan may wait a while for its reaper).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !os.IsNotExist(err)
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// waitGone waits up to d for pid to end and returns how long it took.
func waitGone(t *testing.T, pid int, d time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for alive(pid) {
		if time.Since(start) > d {
			t.Fatalf("fwbatch (pid %d) still runs %v after %s", pid, d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// events reads the history file's events, in file order.
func events(t *testing.T, u *user) []store.Event {
	t.Helper()
	raw, err := os.ReadFile(u.historyPath())
	if err != nil {
		t.Fatal(err)
	}
	noCanary(t, "the history file", string(raw))
	var evs []store.Event
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var e store.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("history line %q: %v", l, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// kindsOf lists the kinds of id's events, in order.
func kindsOf(evs []store.Event, id string) []string {
	var ks []string
	for _, e := range evs {
		if e.ID == id {
			ks = append(ks, string(e.Kind))
		}
	}
	return ks
}

func bigAudio(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(audioDir(t, map[string]string{name: "hello.flac"}, bigFile), name)
}

// TestHangupFinishesUploads: the SSH link drops (tmux kill-server sends
// SIGHUP) in the middle of an upload. The screen is gone, the upload carries
// on, its outcome is recorded, then the process exits by itself. A later
// session shows the submission with its batch id.
func TestHangupFinishesUploads(t *testing.T) {
	t.Parallel()
	f := startSlowFake(t)
	u := newUser(t, f)
	file := bigAudio(t, "hangup.flac")
	s, pid := midUpload(t, f, u, file)

	s.Kill()
	hup := time.Now()
	// The upload goes on without the screen: the fake gets the whole body
	// and makes the job.
	var accepted time.Time
	for deadline := time.Now().Add(wait); ; {
		if len(f.jobs()) == 1 {
			accepted = time.Now()
			break
		}
		// Gone: look at the fake again, as the job may have been made (and
		// fwbatch may have exited) since the look above.
		if !alive(pid) && len(f.jobs()) == 0 {
			log, _ := os.ReadFile(u.debug)
			hist, _ := os.ReadFile(u.historyPath())
			t.Fatalf("fwbatch ended %v after SIGHUP, before its upload did\nthe history:\n%s\nthe end of its debug log:\n%s",
				time.Since(hup).Round(time.Millisecond), hist, lastLines(string(log), 20))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upload never completed after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := waitGone(t, pid, wait, "its upload was accepted")
	t.Logf("SIGHUP; the upload was accepted %v later; fwbatch exited %v after that",
		accepted.Sub(hup).Round(time.Millisecond), took.Round(time.Millisecond))

	batch := f.jobs()[0].BatchID
	evs := events(t, u)
	if len(evs) != 2 || strings.Join(kindsOf(evs, evs[0].ID), ",") != "started,submitted" || evs[1].BatchID != batch {
		t.Fatalf("history after SIGHUP: %+v, want started then submitted with %s", evs, batch)
	}

	// The next session lists it with its batch id.
	s2 := tmuxtest.Start(t, 120, 30, u.env, u.ui(filepath.Dir(file))...)
	s2.WaitText(wait, "hangup.flac")
	s2.Keys("Tab")
	// Its status is "submitted" until the first background check, which
	// turns it to processing.
	s2.WaitFor(wait, "the batch id in History", func(scr string) bool {
		row := lineWith(scr, "hangup.flac")
		return strings.Contains(row, batch[:18]) && (strings.Contains(row, "submitted") || strings.Contains(row, "processing"))
	})
}

// TestHangupIdleExits: with nothing in flight, SIGHUP ends fwbatch at once.
func TestHangupIdleExits(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"a.wav": "hello.wav"}, 0)
	s := tmuxtest.Start(t, 100, 30, u.env, u.ui(dir)...)
	s.WaitText(wait, "a.wav")
	pid := s.PanePID()
	s.Kill()
	took := waitGone(t, pid, 10*time.Second, "SIGHUP with nothing in flight")
	t.Logf("fwbatch exited %v after SIGHUP", took.Round(time.Millisecond))
}

// TestKilledUploadIsInterrupted: a second UI on the same history shows a
// running upload as uploading elsewhere. kill -9 mid-upload leaves "started"
// with no outcome: the second UI and the next session see that its process is
// gone and show it as interrupted; x resubmits it after a warning, and the
// new upload reaches the fake and is recorded as a resubmission.
func TestKilledUploadIsInterrupted(t *testing.T) {
	t.Parallel()
	// Slower than startSlowFake: the upload must outlast the watcher's
	// two-second look at the history.
	f := startFake(t, "-polls", "1000", "-read-rate", fmt.Sprint(4<<20))
	u := newUser(t, f)
	file := bigAudio(t, "killed.flac")
	row := func(scr string) string {
		for _, l := range strings.Split(scr, "\n") {
			if strings.Contains(l, "killed.flac") {
				return l
			}
		}
		return ""
	}
	onHistory := func(s *tmuxtest.Session) {
		t.Helper()
		s.WaitText(wait, "killed.flac")
		s.Keys("Tab")
		s.WaitText(wait, "Batch ID")
	}
	watcher := tmuxtest.Start(t, 120, 30, u.env, u.ui(filepath.Dir(file))...)
	onHistory(watcher)

	s, pid := midUpload(t, f, u, file)
	watcher.WaitFor(wait, "the upload shown as elsewhere", func(scr string) bool {
		return strings.Contains(row(scr), "↑ elsewhere")
	})
	if r := lastSubmit(f); r.BodyRead >= r.ContentLength {
		t.Fatalf("the upload ended before the kill")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, wait, "kill -9")
	s.Kill()
	evs := events(t, u)
	if len(evs) != 1 || evs[0].Kind != store.KindStarted {
		t.Fatalf("history after kill -9: %+v, want one started event", evs)
	}
	first := evs[0].ID
	watcher.WaitFor(wait, "the killed upload shown as interrupted", func(scr string) bool {
		return strings.Contains(row(scr), "! interrupted")
	})
	watcher.Kill()

	// A smaller file, so that the resubmission does not take 8 s too.
	if err := os.Truncate(file, 1<<20); err != nil {
		t.Fatal(err)
	}
	s2 := tmuxtest.Start(t, 120, 30, u.env, u.ui(filepath.Dir(file))...)
	onHistory(s2)
	scr := s2.WaitFor(wait, "the killed upload in History", func(scr string) bool { return row(scr) != "" })
	if r := row(scr); !strings.Contains(r, "! interrupted") || strings.Contains(r, "elsewhere") {
		t.Fatalf("the killed upload's row is %q, want \"! interrupted\":\n%s", r, scr)
	}
	selectLine(t, s2, "killed.flac")
	s2.Keys("x")
	s2.WaitText(wait, "may have reached the server")
	s2.Keys("y")
	for deadline := time.Now().Add(wait); len(f.jobs()) != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("the resubmission never reached the fake; the screen shows:\n%s", s2.Screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	batch := f.jobs()[0].BatchID
	s2.WaitFor(wait, "the resubmission's batch id in History", func(scr string) bool {
		return strings.Contains(scr, "Batch ID") && strings.Contains(scr, batch[:18])
	})
	var posts int
	for _, r := range f.requests() {
		if r.Kind == "submit" {
			posts++
		}
	}
	if posts != 2 {
		t.Fatalf("the fake saw %d uploads, want 2 (the killed one and the resubmission)", posts)
	}
	evs = events(t, u)
	var resub *store.Event
	for _, e := range evs {
		if e.ID != first && e.Kind == store.KindStarted {
			resub = &e
		}
	}
	if resub == nil || resub.ResubmitOf != first || resub.File != file {
		t.Fatalf("no resubmission of %s in the history: %+v", first, resub)
	}
	if k := strings.Join(kindsOf(evs, resub.ID), ","); k != "started,submitted" {
		t.Fatalf("the resubmission's events: %s", k)
	}
	if k := strings.Join(kindsOf(evs, first), ","); k != "started" {
		t.Fatalf("the killed upload's events changed: %s", k)
	}
}

// TestTermAndIntInterruptUploads: SIGTERM or SIGINT mid-upload cancels the
// upload, records it as interrupted, and ends the process; so does SIGTERM
// after a SIGHUP, while the upload runs without a screen (a logout: the link
// drops, then the session's processes are told to end), and SIGTERM right
// behind the SIGHUP, before fwbatch has taken it in (neither may be lost).
func TestTermAndIntInterruptUploads(t *testing.T) {
	t.Parallel()
	type signals struct {
		sigs     []syscall.Signal
		together bool // sent back to back, not once the screen has gone
	}
	for _, tc := range []signals{
		{sigs: []syscall.Signal{syscall.SIGTERM}},
		{sigs: []syscall.Signal{syscall.SIGINT}},
		{sigs: []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM}},
		{sigs: []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM}, together: true},
	} {
		sigs := tc.sigs
		var names []string
		for _, s := range sigs {
			names = append(names, s.String())
		}
		what := strings.Join(names, " then ")
		if tc.together {
			what = strings.Join(names, " and ") + " at once"
		}
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			f := startSlowFake(t)
			u := newUser(t, f)
			s, pid := midUpload(t, f, u, bigAudio(t, "signalled.flac"))
			for i, sig := range sigs {
				if i > 0 && !tc.together {
					// The hang-up has been handled once the screen is gone
					// (the terminal is given back); the upload goes on.
					s.WaitFor(wait, "the screen to go after "+sigs[i-1].String(), func(scr string) bool {
						return !strings.Contains(scr, "Submitting")
					})
					if !alive(pid) {
						t.Fatalf("fwbatch ended after %v, before its upload did", sigs[i-1])
					}
				}
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatal(err)
				}
			}
			took := waitGone(t, pid, wait, what)
			if r := lastSubmit(f); r.BodyRead >= r.ContentLength || len(f.jobs()) != 0 {
				t.Fatalf("the upload went on after %s: the fake read %d of %d bytes", what, r.BodyRead, r.ContentLength)
			}
			evs := events(t, u)
			if k := strings.Join(kindsOf(evs, evs[0].ID), ","); len(evs) != 2 || k != "started,interrupted" {
				t.Fatalf("history after %s: %s (%+v), want started,interrupted", what, k, evs)
			}
			if sigs[0] != syscall.SIGHUP {
				s.WaitFor(wait, "the pane to see fwbatch exit", func(string) bool { dead, _ := s.Dead(); return dead })
				if _, status := s.Dead(); status != 1 {
					t.Fatalf("after %s: exit status %d, want 1 (uploads were interrupted)", what, status)
				}
			}
			t.Logf("%s: fwbatch exited %v after the last signal", what, took.Round(time.Millisecond))
		})
	}
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
