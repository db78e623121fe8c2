package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
)

// go test -run '^$' -bench CompleteIDs ./cli
//
// A TAB after `fwbatch status` must answer within 100 ms on a history of
// 100,000 submissions: the whole command line, from parsing to the last
// candidate printed, in one process.
func BenchmarkCompleteIDs(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeBigHistory(b, path, 100_000)
	r := &runner{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	var out strings.Builder
	cpu0 := cpuTime(b)
	for b.Loop() {
		out.Reset()
		r.stdout = &out
		if code := r.main([]string{"__complete", "--history", path, "status", ""}); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	// The machine is shared: time on the CPU says more than time passed.
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	if n := strings.Count(out.String(), "\n"); n != maxIDCompletions+1 {
		b.Fatalf("%d lines of completions:\n%s", n, out.String())
	}
}

// writeBigHistory writes n submissions as Append writes them (one job in a
// hundred still processing, the others completed with a saved result),
// without the lock and fsync of each append. A job's status comes 100
// submissions after its upload, as checks come later in a real history.
func writeBigHistory(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	write := func(ev store.Event) {
		ev.V, ev.Host, ev.PID = store.FormatVersion, "box", 4242
		if err := enc.Encode(ev); err != nil {
			tb.Fatal(err)
		}
	}
	const lag = 100
	var statuses []store.Event
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		id := at.Format("20060102T150405.000000Z") + fmt.Sprintf("-%06x", i)
		write(store.Event{Kind: store.KindStarted, ID: id, Time: at, File: fmt.Sprintf("/home/me/recordings/2026/meeting-%06d.flac", i), Size: 123456789,
			Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3", Options: map[string]string{"response_format": "verbose_json", "diarize": "true", "timestamp_granularities": "word"}})
		write(store.Event{Kind: store.KindSubmitted, ID: id, Time: at.Add(time.Second), BatchID: fmt.Sprintf("%08x-1d2a-4c3b-9e8f-%012x", i*7919, i), AccountID: "acct-1234", EndpointID: "audio-prod"})
		st := store.Event{Kind: store.KindStatus, ID: id, Time: at.Add(time.Minute), Status: "completed", ResultPath: "/home/me/.local/state/fwbatch/results/" + id + ".json"}
		if i%100 == 0 {
			st.Status, st.ResultPath = "processing", ""
		}
		statuses = append(statuses, st)
		if len(statuses) > lag {
			write(statuses[0])
			statuses = statuses[1:]
		}
	}
	for _, st := range statuses {
		write(st)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the CPU time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
