package submit_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// withFileSizeLimit runs f with the process's file size limit lowered to
// limit bytes (a write past it fails with EFBIG, as on a full disk), then
// puts the limit back, so that the test's log and coverage files, written
// when the process ends, are not cut short. The limit applies to the whole
// process: only a child process of the test binary may use it.
func withFileSizeLimit(t *testing.T, limit uint64, f func()) {
	t.Helper()
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		t.Fatalf("reading the file size limit: %v", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: orig.Max}); err != nil {
		t.Fatalf("lowering the file size limit: %v", err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
			t.Fatalf("restoring the file size limit: %v", err)
		}
	}()
	f()
}

// TestRunBatchStartedNotRecorded: when the "started" append fails after the
// batch's check of the history passed (the disk fills up in between; here
// the file size limit stops the write), the file is not uploaded: the fake
// sees no request, the item fails saying nothing was uploaded and naming the
// history, and no part of the line is left in the file. The limit applies
// to a whole process, so the batch runs in a child; this test checks what
// the child reports.
func TestRunBatchStartedNotRecorded(t *testing.T) {
	if os.Getenv("FWBATCH_STARTED_CHILD") != "" {
		startedNotRecordedChild(t)
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunBatchStartedNotRecorded$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FWBATCH_STARTED_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child (history under a file size limit) failed: %v\n%s", err, out)
	}
	report := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			report[k] = v
		}
	}
	if n := report["REQUESTS"]; n != "0" {
		t.Fatalf("the fake got %q requests, want 0: a file was uploaded though its started event was not written\n%s", n, out)
	}
	for k, want := range map[string]string{"OUTCOME": "failed", "RECORDED": "false", "STARTED EVENT": "false", "HISTORY UNCHANGED": "true"} {
		if report[k] != want {
			t.Errorf("the child reports %s: %q, want %q\n%s", k, report[k], want, out)
		}
	}
	if e := report["ERROR"]; !strings.Contains(e, "nothing uploaded") || !strings.Contains(e, "history.jsonl") {
		t.Errorf("the item's error %q does not say that nothing was uploaded and name the history", e)
	}
}

// startedNotRecordedChild is the child's half: it prints what happened, one
// fact a line, for the parent to check.
func startedNotRecordedChild(t *testing.T) {
	st := openStore(t)
	// An earlier submission: the history is readable and writable, so the
	// batch's CheckWritable (which writes nothing) passes.
	earlier := store.Event{Kind: store.KindStarted, ID: "earlier", File: "/earlier.wav", Task: "transcribe"}
	if err := st.Append(context.Background(), earlier); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)

	file := fixture("hello.wav")
	var log batchLog
	// Room for the lock file's note, not for another history line.
	withFileSizeLimit(t, uint64(len(before))+64, func() {
		c.RunBatch(context.Background(), st, []submit.BatchItem{{ID: "new", File: file}}, 1, log.on)
	})
	ev := log.done(t)[file]
	after, err := os.ReadFile(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	started := false
	for _, e := range log.evs {
		started = started || e.Type == submit.EventStarted
	}
	fmt.Printf("REQUESTS: %d\n", len(fake.Requests()))
	fmt.Printf("OUTCOME: %s\n", ev.Outcome)
	fmt.Printf("RECORDED: %v\n", ev.Recorded)
	fmt.Printf("STARTED EVENT: %v\n", started)
	fmt.Printf("HISTORY UNCHANGED: %v\n", string(after) == string(before))
	fmt.Printf("ERROR: %v\n", ev.Err)
}
