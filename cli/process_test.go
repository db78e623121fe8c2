package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/testchild"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// runAsync runs a command in the background.
func (h *harness) runAsync(args ...string) <-chan result {
	done := make(chan result, 1)
	go func() { done <- h.runWithin(args...) }()
	return done
}

// waitResult waits for a command runAsync started; it fails the test,
// naming the command, when the command hung.
func waitResult(t *testing.T, done <-chan result) result {
	t.Helper()
	res := <-done
	if res.hung != "" {
		t.Fatal(res.hung)
	}
	return res
}

// TestSubmitInterrupted: SIGINT or SIGTERM cancels the uploads; the one in
// flight is recorded as interrupted, the one not started leaves no trace,
// and the exit status is 1.
func TestSubmitInterrupted(t *testing.T) {
	// Not parallel: it signals the whole test process.
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:stall")})
			big := h.bigWav("big.wav", 32<<20)
			small := h.audio("hello.wav", "small.wav")
			done := h.runAsync("submit", "--concurrency", "1", big, small)
			waitFor(t, "the upload to start", func() bool {
				rs := h.fake.Requests()
				return len(rs) == 1 && rs[0].BodyRead > 0
			})
			syscall.Kill(os.Getpid(), sig)
			res := waitResult(t, done)
			if res.code != 1 {
				t.Errorf("exit %d, want 1", res.code)
			}
			out := lines(t, res.out)
			slices.Sort(out)
			if len(out) != 2 ||
				!regexp.MustCompile(`^`+regexp.QuoteMeta(big)+` interrupted: interrupted at ([0-9]+ B|[0-9.]+ [KM]iB) of 32\.0 MiB — nothing was submitted; submit it again when ready$`).MatchString(out[0]) ||
				out[1] != small+" interrupted: interrupted before the upload — nothing was submitted; submit it again when ready" {
				t.Errorf("stdout:\n%s", res.out)
			}
			errLines := lines(t, res.errOut)
			if len(errLines) != 3 || !strings.Contains(res.errOut, "cancelling the uploads; they are recorded as interrupted") {
				t.Errorf("stderr:\n%s", res.errOut)
			}
			sub := h.only()
			if sub.File != big || sub.Outcome != store.OutcomeInterrupted || !strings.Contains(sub.Message, "interrupted at") {
				t.Errorf("history: %+v", sub)
			}
			if got := kinds(h.events(), sub.ID); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindInterrupted}) {
				t.Errorf("history events %v", got)
			}
			if n := h.fake.SubmitCount(); n != 1 {
				t.Errorf("%d submits, want 1", n)
			}
		})
	}
}

// TestSubmitSIGHUP: a dropped terminal does not stop the upload; its
// outcome is recorded.
func TestSubmitSIGHUP(t *testing.T) {
	// Not parallel: it signals the whole test process.
	h := newHarness(t, fakeapi.Config{Latency: 300 * time.Millisecond})
	file := h.bigWav("big.wav", 8<<20)
	done := h.runAsync("submit", file)
	waitFor(t, "the upload to start", func() bool { return len(h.fake.Requests()) == 1 })
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	res := waitResult(t, done)
	if res.code != 0 || !submittedLine.MatchString(oneLine(t, "stdout", res.out)) || res.errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.out, res.errOut)
	}
	if sub := h.only(); sub.Outcome != store.OutcomeSubmitted {
		t.Errorf("history: %+v", sub)
	}
	if data, _ := os.ReadFile(h.debug); !strings.Contains(string(data), "hangup ignored; the uploads carry on") {
		t.Errorf("debug log:\n%s", data)
	}
}

// TestDemo: --demo needs no key, says DEMO, keeps its own history, and its
// jobs outlive the process that served them.
func TestDemo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	h.env["FIREWORKS_API_KEY"] = ""
	h.env["FWBATCH_HISTORY"] = ""
	file := h.audio("hello.flac", "talk.flac")
	res := h.run("submit", "--demo", file)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.errOut)
	}
	demoDir := filepath.Join(h.dir, "xdg-state", "fwbatch", "demo")
	contains(t, "stderr", oneLine(t, "stderr", res.errOut), "DEMO", filepath.Join(demoDir, "history.jsonl"))
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + ` submitted batch_id=(\S+) account_id=demo-account endpoint_id=audio-prod$`).FindStringSubmatch(oneLine(t, "stdout", res.out))
	if m == nil {
		t.Fatalf("stdout %q", res.out)
	}
	if _, err := os.Stat(filepath.Join(demoDir, "fake-jobs.json")); err != nil {
		t.Errorf("no demo state file: %v", err)
	}
	res = h.run("status", "--demo", m[1])
	if res.code != 0 || oneLine(t, "stdout", res.out) != "talk.flac processing batch_id="+m[1] {
		t.Errorf("status in a new process: exit %d, stdout %q, stderr %q", res.code, res.out, res.errOut)
	}
	res = h.run("list", "--demo")
	if got := lines(t, res.out); len(got) != 2 || !strings.Contains(got[1], m[1]) {
		t.Errorf("list:\n%s", res.out)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the real base URL saw %d requests", n)
	}
	if _, err := os.Stat(h.hist); err == nil {
		t.Errorf("the demo wrote to the real history")
	}
}

// TestPermissions: an unreadable audio file is refused with a clear message
// before any request; a history that cannot be written means nothing is
// uploaded (exit 2). Root reads and writes anything, so as root the checks
// run again as user nobody.
func TestPermissions(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		permissionChecks(t, os.Stdout)
		return
	}
	// A child that ran and failed fails this test; only a system that
	// cannot switch to nobody skips it.
	cmd, dir := testchild.AsNobody(t, "-test.run=^TestPermissions$", "-test.count=1", "-test.v")
	testchild.CopyTree(t, filepath.Join("..", "testdata", "audio"), filepath.Join(dir, "testdata", "audio"))
	cmd.Dir = filepath.Join(dir, "cli")
	if err := os.Mkdir(cmd.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out := testchild.Output(t, "the checks as user nobody", cmd); !strings.Contains(string(out), "CHECKED 2") {
		t.Errorf("as nobody:\n%s", out)
	}
}

// permissionChecks runs as a user that file permissions apply to.
func permissionChecks(t *testing.T, report io.Writer) {
	h := newHarness(t, fakeapi.Config{})
	secret := h.bigWav("secret.wav", 4096)
	os.Chmod(secret, 0)
	res := h.run("submit", secret)
	if res.code != 1 {
		t.Errorf("unreadable file: exit %d", res.code)
	}
	if got := oneLine(t, "stderr", res.errOut); got != "fwbatch: "+secret+": permission denied; check the permissions of the file and its folders" {
		t.Errorf("unreadable file: stderr %q", got)
	}
	if evs := h.events(); len(evs) != 0 {
		t.Errorf("unreadable file: %d history events", len(evs))
	}

	ok := h.bigWav("ok.wav", 4096)
	os.MkdirAll(filepath.Dir(h.hist), 0o700)
	os.WriteFile(h.hist, nil, 0o400)
	res = h.run("submit", ok)
	if res.code != 2 || res.out != "" {
		t.Errorf("read-only history: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "read-only history", res.errOut), "nothing uploaded", h.hist, "permission denied")
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests", n)
	}
	fmt.Fprintln(report, "CHECKED 2")
}
