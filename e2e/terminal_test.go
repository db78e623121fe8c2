package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/fwbatch/fwbatch/store"
)

// ptyRun is fwbatch on a pseudo-terminal of w×h cells: the test reads
// everything it writes to the terminal.
type ptyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File // the master side
	mu   sync.Mutex
	out  bytes.Buffer
	last time.Time // when the last bytes came
	// bursts counts writes that came after a pause of 20 ms or more:
	// about one per redraw.
	bursts int
	done   chan struct{}
}

func startPTY(t *testing.T, w, h int, env []string, args ...string) *ptyRun {
	t.Helper()
	cmd := exec.Command(fwbatch, args...)
	cmd.Env = env
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)})
	if err != nil {
		t.Fatal(err)
	}
	r := &ptyRun{t: t, cmd: cmd, tty: tty, done: make(chan struct{}), last: time.Now()}
	go func() {
		defer close(r.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := tty.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			if n > 0 {
				if time.Since(r.last) >= 20*time.Millisecond {
					r.bursts++
				}
				r.last = time.Now()
			}
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		tty.Close()
		<-r.done
	})
	return r
}

// written is how many bytes fwbatch has written to the terminal so far.
func (r *ptyRun) written() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Len()
}

func (r *ptyRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitOutput waits until the output so far contains text.
func (r *ptyRun) waitOutput(d time.Duration, text string) {
	r.t.Helper()
	for deadline := time.Now().Add(d); !strings.Contains(r.output(), text); {
		if time.Now().After(deadline) {
			r.t.Fatalf("waited %v for %q on the terminal; got %q", d, text, r.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until nothing was written for quiet, at most d.
func (r *ptyRun) settle(quiet, d time.Duration) {
	r.t.Helper()
	for deadline := time.Now().Add(d); ; {
		r.mu.Lock()
		since := time.Since(r.last)
		r.mu.Unlock()
		if since >= quiet {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the terminal output did not settle within %v: %q", d, r.output())
		}
		time.Sleep(quiet - since)
	}
}

func (r *ptyRun) send(keys string) {
	r.t.Helper()
	if _, err := r.tty.Write([]byte(keys)); err != nil {
		r.t.Fatal(err)
	}
}

// TestNoTerminal: without a terminal on stdin or stdout the UI does not
// start: exit 2, a one-line hint on stderr naming ssh -t and fwbatch
// submit, and not one escape code anywhere (a terminal on the other side
// included).
func TestNoTerminal(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	cases := []struct {
		name          string
		stdinTTY      bool
		stdoutTTY     bool
		stdinDevNull  bool
		stdoutDevNull bool
	}{
		{name: "pipes"},
		{name: "stdin /dev/null, stdout a pipe", stdinDevNull: true},
		{name: "stdin a terminal, stdout a pipe", stdinTTY: true},
		{name: "stdin a pipe, stdout a terminal", stdoutTTY: true},
		{name: "stdin /dev/null, stdout a terminal", stdinDevNull: true, stdoutTTY: true},
		{name: "stdin a terminal, stdout /dev/null", stdinTTY: true, stdoutDevNull: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(fwbatch, t.TempDir())
			cmd.Env = u.env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Stdin = strings.NewReader("q")
			var ptm *os.File
			if c.stdinTTY || c.stdoutTTY {
				m, s, err := pty.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				defer s.Close()
				ptm = m
				if c.stdinTTY {
					cmd.Stdin = s
				}
				if c.stdoutTTY {
					cmd.Stdout = s
				}
			}
			if c.stdinDevNull || c.stdoutDevNull {
				null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer null.Close()
				if c.stdinDevNull {
					cmd.Stdin = null
				}
				if c.stdoutDevNull {
					cmd.Stdout = null
				}
			}
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("fwbatch did not exit without a terminal; stderr %q", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit: %v, want code 2; stderr %q", err, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.Contains(msg, "ssh -t") || !strings.Contains(msg, "fwbatch submit") {
				t.Errorf("stderr %q: want one line naming ssh -t and fwbatch submit", msg)
			}
			var term []byte
			if ptm != nil {
				term = drain(t, ptm)
			}
			for where, b := range map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes(), "the terminal": term} {
				if bytes.IndexByte(b, 0x1b) >= 0 {
					t.Errorf("an escape code on %s: %q", where, b)
				}
			}
			if stdout.Len() > 0 || len(term) > 0 {
				t.Errorf("output besides the hint: stdout %q, terminal %q", stdout.Bytes(), term)
			}
		})
	}
}

// drain reads what is waiting on a pty master, without blocking for more.
func drain(t *testing.T, m *os.File) []byte {
	t.Helper()
	fd := int(m.Fd()) // Fd makes the file blocking: take it once, then not
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if n > 0 {
			out = append(out, buf[:n]...)
			continue
		}
		if err == nil || errors.Is(err, syscall.EAGAIN) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO) {
			return out
		}
		t.Fatal(err)
	}
}

// finishedHistory writes a history in which nothing needs a status check:
// a completed job with its result saved, a failed upload, a failed job, an
// upload whose process is gone (interrupted) and one with an unknown outcome.
// The files are named after their state.
func finishedHistory(t *testing.T, u *user, dir string) {
	t.Helper()
	st, err := store.Open(u.historyPath())
	if err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(u.state, "result.txt")
	if err := os.WriteFile(result, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, state := range []string{"completed", "uploadfailed", "jobfailed", "interrupted", "unknown"} {
		id := store.NewID()
		started := store.Event{Kind: store.KindStarted, ID: id, File: filepath.Join(dir, state+".flac"), Size: 1000,
			Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3", Options: map[string]string{"response_format": "text"}}
		evs := []store.Event{started}
		switch state {
		case "completed":
			evs = append(evs,
				store.Event{Kind: store.KindSubmitted, ID: id, BatchID: "batch-done-0000", AccountID: "fake-account", EndpointID: "audio-prod"},
				store.Event{Kind: store.KindStatus, ID: id, Status: "completed", ResultPath: result})
		case "uploadfailed":
			evs = append(evs, store.Event{Kind: store.KindFailed, ID: id, HTTPStatus: 413, Message: "file too large"})
		case "jobfailed":
			evs = append(evs,
				store.Event{Kind: store.KindSubmitted, ID: id, BatchID: "batch-failed-0000", AccountID: "fake-account", EndpointID: "audio-prod"},
				store.Event{Kind: store.KindStatus, ID: id, Status: "failed", Message: "bad audio"})
		case "interrupted":
			evs[0].PID = gone.Process.Pid // a process that has ended
		case "unknown":
			evs = append(evs, store.Event{Kind: store.KindUnknown, ID: id, HTTPStatus: 502, Message: "no reply"})
		}
		if err := st.Append(ctx, evs...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIdleWritesNothing: idle on History, with no upload running and no job
// pending, fwbatch writes not one byte to the terminal while it looks at
// the history file three times (its only timer when idle, every 2 s): no
// animation, no timer redraws (what an SSH link on a metered connection
// pays for). The window is counted in those looks, from the debug log, so
// a loaded machine only makes it longer.
func TestIdleWritesNothing(t *testing.T) {
	t.Parallel()
	const tick, ticks = "ui.watchTickMsg", 3
	f := startFake(t)
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"a.wav": "hello.wav"}, 0)
	finishedHistory(t, u, dir)
	r := startPTY(t, 100, 30, u.env, "--debug", u.debug, dir)
	r.waitOutput(wait, "a.wav")
	r.send("\t")
	r.waitOutput(wait, "batch-done-0000")
	r.settle(time.Second, wait)
	before, from := r.written(), logged(t, u.debug, tick)
	waitLogged(t, u.debug, tick, from+ticks, time.Minute)
	// The last look's read comes back after its tick: give it the time a
	// redraw would take to show.
	r.settle(time.Second, wait)
	if n := r.written() - before; n != 0 {
		t.Fatalf("idle on History, fwbatch wrote %d bytes in %d history watches: %q", n, ticks, r.output()[before:])
	}
	if reqs := f.requests(); len(reqs) != 0 {
		t.Errorf("idle with nothing pending, fwbatch sent %d requests", len(reqs))
	}
}

// TestUploadRedrawsQuietly: while an upload runs, the screen is redrawn as
// progress comes (at most once per progress report or timer tick, about
// ten a second) by small updates of what changed, never by clearing the
// screen. The window is six of the UI's upload ticks (every 500 ms),
// counted in the debug log, and the redraws are compared with those ticks
// and with the messages that may cause one, counted there too: a loaded
// machine makes the window longer, never the limits tighter.
func TestUploadRedrawsQuietly(t *testing.T) {
	t.Parallel()
	const tick, ticks = "ui.uiTickMsg", 6
	// 32 MiB read at 2 MiB/s: the upload lasts 16 s, far longer than the
	// window, on any machine.
	f := startFake(t, "-polls", "1000", "-read-rate", fmt.Sprint(2<<20))
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"big.flac": "hello.flac"}, bigFile)
	r := startPTY(t, 100, 30, u.env, "--debug", u.debug, filepath.Join(dir, "big.flac"))
	r.waitOutput(wait, "Task")
	r.settle(300*time.Millisecond, wait)
	r.send("\x13") // ctrl+s
	r.waitOutput(wait, "Submitting")
	// From the first tick on, the Submitting screen is drawn: what follows
	// are the progress redraws.
	waitLogged(t, u.debug, tick, 1, wait)
	r.mu.Lock()
	from, bursts := r.out.Len(), r.bursts
	r.mu.Unlock()
	msgs0, start := countAll(t, u.debug), time.Now()
	waitLogged(t, u.debug, tick, 1+ticks, time.Minute)
	r.mu.Lock()
	out, n := r.out.String()[from:], r.bursts-bursts
	r.mu.Unlock()
	msgs, took := countAll(t, u.debug)-msgs0, time.Since(start)
	if len(f.jobs()) != 0 {
		t.Fatal("the upload ended during the measurement: make it slower")
	}
	t.Logf("%d upload ticks (%v): %d redraws, %d messages, %d bytes", ticks, took.Round(time.Millisecond), n, msgs, len(out))
	switch {
	case n == 0:
		t.Errorf("no redraw in %d upload ticks: the progress does not move", ticks)
	case n > msgs:
		t.Errorf("%d redraws for %d messages: the screen is redrawn without a reason", n, msgs)
	case n > 6*ticks:
		t.Errorf("%d redraws in %d upload ticks of 500 ms: more than about ten a second", n, ticks)
	case len(out)/n > 1024:
		t.Errorf("%d bytes per redraw: the whole screen is redrawn, not what changed", len(out)/n)
	case strings.Contains(out, "\x1b[2J"):
		t.Errorf("the screen is cleared during the upload")
	}
}

// countAll counts the messages in a --debug log: one a line.
func countAll(t *testing.T, log string) int {
	t.Helper()
	return logged(t, log, "\n")
}

// TestHangupByClosingTheTerminal: the terminal itself goes away (its master
// side closed, as sshd does when the link drops) mid-upload: fwbatch gets
// SIGHUP and EIO on the terminal, finishes the upload, records it, and
// exits cleanly (status 0: no panic, no error about the dead terminal).
func TestHangupByClosingTheTerminal(t *testing.T) {
	t.Parallel()
	f := startSlowFake(t)
	u := newUser(t, f)
	r := startPTY(t, 100, 30, u.env, bigAudio(t, "closed.flac"))
	r.waitOutput(wait, "Task")
	r.settle(300*time.Millisecond, wait)
	r.send("\x13") // ctrl+s
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		if s := lastSubmit(f); s != nil && s.BodyRead >= 2<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upload did not reach the fake; the terminal got %q", r.output())
		}
	}
	r.tty.Close()
	exited := make(chan error, 1)
	go func() { exited <- r.cmd.Wait() }()
	select {
	case err := <-exited:
		if len(f.jobs()) != 1 {
			t.Fatalf("fwbatch exited (%v) before its upload was accepted", err)
		}
		if err != nil {
			t.Fatalf("fwbatch exited with %v after the terminal closed", err)
		}
	case <-time.After(wait):
		t.Fatal("fwbatch did not exit after the terminal closed and the upload ended")
	}
	evs := events(t, u)
	if k := strings.Join(kindsOf(evs, evs[0].ID), ","); k != "started,submitted" || evs[1].BatchID != f.jobs()[0].BatchID {
		t.Fatalf("history after the terminal closed: %s %+v", k, evs)
	}
}
