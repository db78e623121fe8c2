package cli

import (
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/benchdata"
	"github.com/fwbatch/fwbatch/recording"
)

// go test -run '^$' -bench SyncDryRun -benchtime 5x ./cli
//
// `fwbatch sync --dry-run` over a folder of 10,000 recordings against a
// history of 100,000 submissions (benchdata): 5,000 done with their
// transcripts beside them (skipped), 2,000 done from another folder (would
// write), 3,000 never sent (would submit). The whole command, in-process:
// reading the history, recognising the files, judging each, printing a
// line each. warm: the fingerprint cache knows the moved files (every run
// after the first); cold: it is gone, and they are read (2 MiB or less
// each; here whole, they are small).

var syncBench struct {
	once sync.Once
	fx   benchdata.Fixture
	err  error
	dir  string
}

func syncFixture(b *testing.B) benchdata.Fixture {
	syncBench.once.Do(func() {
		syncBench.dir, syncBench.err = os.MkdirTemp("", "fwbatch-sync-bench-")
		if syncBench.err == nil {
			syncBench.fx, syncBench.err = benchdata.Make(syncBench.dir)
		}
	})
	if syncBench.err != nil {
		b.Fatal(syncBench.err)
	}
	return syncBench.fx
}

func BenchmarkSyncDryRun10k(b *testing.B) {
	fx := syncFixture(b)
	defer os.RemoveAll(syncBench.dir) // the only benchmark that uses it
	env := map[string]string{"FWBATCH_HISTORY": fx.History, "HOME": b.TempDir(), "XDG_CONFIG_HOME": b.TempDir()}
	run := func(b *testing.B) {
		var errOut strings.Builder
		r := &runner{stdout: io.Discard, stderr: &errOut, getenv: func(k string) string { return env[k] }}
		if code := r.main([]string{"sync", "--dry-run", fx.Folder}); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
		const want = "10000 files: 5000 skipped, 3000 would submit, 2000 would write"
		if !strings.Contains(errOut.String(), want) {
			b.Fatalf("summary %q, want %q", errOut.String(), want)
		}
	}
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "warm"
			run(b) // fills the cache
		}
		b.Run(name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				if !warm {
					b.StopTimer()
					os.Remove(recording.CachePath(fx.History))
					b.StartTimer()
				}
				c0 := cpuNow(b)
				run(b)
				cpu += cpuNow(b) - c0
			}
			b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// cpuNow is the CPU time this process has used (user and system, every
// thread): the machine is shared, and wall time depends on everyone else.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
