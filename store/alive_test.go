package store

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ProcessAlive tells a live uploader from one that is gone: exited, killed
// and not yet reaped (a zombie), replaced by a newer process on the same pid,
// or on another host too long ago.
func TestProcessAlive(t *testing.T) {
	t.Parallel()
	host := hostname()
	self := os.Getpid()
	longAgo := time.Now().Add(-time.Hour)
	if !ProcessAlive(host, self, time.Now()) || !ProcessAlive("", self, time.Now()) {
		t.Error("this process is not alive")
	}
	if ProcessAlive(host, self, longAgo) {
		t.Error("a process started after the upload began counts as its uploader (pid reuse)")
	}
	if ProcessAlive(host, 0, time.Now()) || ProcessAlive(host, -1, time.Now()) {
		t.Error("pid 0 or -1 is alive")
	}
	if !ProcessAlive("elsewhere.example", 1, time.Now().Add(-time.Hour)) || ProcessAlive("elsewhere.example", 1, time.Now().Add(-25*time.Hour)) {
		t.Error("another host's uploader: alive for a day, then not")
	}

	// A child that exited but was not reaped yet is a zombie: gone.
	began := time.Now()
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(5 * time.Second); ; {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i:]), ") Z") {
			break
		}
		if len(stat) == 0 || time.Now().After(deadline) {
			cmd.Wait()
			t.Skipf("no zombie to look at in /proc (stat %q)", stat)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ProcessAlive(host, pid, began) {
		t.Error("a zombie (exited, not reaped) counts as alive")
	}
	cmd.Wait()
	if ProcessAlive(host, pid, began) {
		t.Error("a reaped child counts as alive")
	}
}
