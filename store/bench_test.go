package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
)

// go test -run '^$' -bench . -benchtime 20x ./store
//
// Append's cost must not grow with the history (it reads one line and one
// byte of it, whatever its size); Load must fold 100,000 submissions in
// half a second with a peak memory under twice the file's size.

func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "history.jsonl")
			writeSampleHistory(b, path, n)
			s, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			ev := Event{Kind: KindStatus, ID: "20260102T030405.000000Z-000000", Status: "RUNNING"}
			read0 := bytesRead(b)
			for b.Loop() {
				if err := s.Append(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
			// fsync's cost varies with whatever else the disk does; the bytes
			// read do not, and show that nothing reads the history.
			b.ReportMetric(float64(bytesRead(b)-read0)/float64(b.N), "read-B/op")
		})
	}
}

// bytesRead is what this process has read so far through read(2) and
// pread(2), from /proc/self/io.
func bytesRead(tb testing.TB) int64 {
	tb.Helper()
	io, err := os.ReadFile("/proc/self/io")
	if err != nil {
		tb.Skip("no /proc/self/io:", err)
	}
	for _, l := range strings.Split(string(io), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return n
		}
	}
	tb.Fatal("no rchar in /proc/self/io")
	return 0
}

func BenchmarkLoad100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeSampleHistory(b, path, 100_000)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	// Peak memory, measured where nothing else runs: a fresh process that
	// only loads the file reports its high-water mark of resident memory.
	out, err := helperCmd("load-rss", path, "").Output()
	if err != nil {
		b.Fatal(err)
	}
	peak, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		b.Fatalf("%v: %q", err, out)
	}
	b.SetBytes(fi.Size())
	cpu0 := cpuTime(b)
	for b.Loop() {
		h, err := s.Load()
		if err != nil || h.Len() != 100_000 || !h.Report().Clean() {
			b.Fatal(err, h.Len(), h.Report())
		}
	}
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(peak)/float64(fi.Size()), "peak/file")
}

// cpuTime is the CPU time this process has used so far, user and system.
// On a machine shared with others it varies less than the time on the
// clock, which waits for the cores whenever others hold them.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecode100k decodes the 300,000 lines of 100,000 submissions
// with decode (the library) and with decodeStd (encoding/json alone), one
// after the other in every round, so that both see the same load on a
// shared machine.
func BenchmarkDecode100k(b *testing.B) {
	var lines [][]byte
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var size int64
	for i := range 100_000 {
		ls, err := encodeEvents(sampleEvents(i, t0))
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range ls {
			lines = append(lines, l[:len(l)-1])
			size += int64(len(l))
		}
	}
	d := newDecoder()
	var ev Event
	var lib, std time.Duration
	for b.Loop() {
		start := time.Now()
		for _, l := range lines {
			if class, reason := d.decode(l, &ev); class != lineEvent {
				b.Fatal(reason)
			}
		}
		lib += time.Since(start)
		start = time.Now()
		for _, l := range lines {
			if class, reason := decodeStd(l, &ev); class != lineEvent {
				b.Fatal(reason)
			}
		}
		std += time.Since(start)
	}
	b.ReportMetric(lib.Seconds()/float64(b.N), "library-s/op")
	b.ReportMetric(std.Seconds()/float64(b.N), "encoding/json-s/op")
	b.ReportMetric(float64(std)/float64(lib), "speedup")
	b.ReportMetric(float64(size)/(1<<20), "lines-MiB")
}

// loadRSS loads the history and returns the process's peak resident
// memory in bytes, for BenchmarkLoad100k.
func loadRSS(path string) (int64, error) {
	s, err := Open(path)
	if err != nil {
		return 0, err
	}
	if _, err := s.Load(); err != nil {
		return 0, err
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

func BenchmarkRefresh100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeSampleHistory(b, path, 100_000)
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	h, err := s.Load()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ev := Event{Kind: KindStatus, ID: "20260102T030405.000000Z-000000", Status: "RUNNING"}
	for b.Loop() {
		b.StopTimer()
		if err := s.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if changed, err := s.Refresh(h); !changed || err != nil {
			b.Fatal(changed, err)
		}
	}
}

// BenchmarkSkim100k is what shell completion pays to read the history: it
// must stay well under 100 ms (cli's BenchmarkCompleteIDs adds the rest).
// Each round runs Skim, and then Skim with goccy/go-json in skimLine's
// place (skimLineLibrary), so that both see the same load on a shared
// machine; with the garbage collector off, as in a completion process.
func BenchmarkSkim100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeSampleHistory(b, path, 100_000)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var wall, cpu [2]time.Duration
	for b.Loop() {
		for i, read := range []skimFunc{(*skimReader).skimLine, skimLineLibrary} {
			start, cpu0 := time.Now(), cpuTime(b)
			briefs, err := skim(path, read, 2<<20)
			wall[i] += time.Since(start)
			cpu[i] += cpuTime(b) - cpu0
			if err != nil || len(briefs) != 100_000 || briefs[7].BatchID == "" || briefs[7].ResultPath == "" {
				b.Fatal(err, len(briefs))
			}
			b.StopTimer()
			debug.FreeOSMemory() // a completion process starts with none of it
			b.StartTimer()
		}
	}
	per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(per(wall[0]), "skimLine-ms/op")
	b.ReportMetric(per(cpu[0]), "skimLine-cpu-ms/op")
	b.ReportMetric(per(wall[1]), "library-ms/op")
	b.ReportMetric(per(cpu[1]), "library-cpu-ms/op")
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "library/skimLine-cpu")
}

// skimJSON is the part of a line skimLine reads, for goccy/go-json.
type skimJSON struct {
	V          int    `json:"v"`
	Kind       Kind   `json:"kind"`
	ID         string `json:"id"`
	File       string `json:"file"`
	BatchID    string `json:"batch_id"`
	AccountID  string `json:"account_id"`
	Status     string `json:"status"`
	ResultPath string `json:"result_path"`
	HTTPStatus int    `json:"http_status"`
}

// skimLineLibrary is skimLine done by goccy/go-json, decoding only what
// skimLine reads: the library Skim would use if it were fast enough.
func skimLineLibrary(sr *skimReader, line []byte, ev *skimmed) bool {
	var e skimJSON
	if gojson.Unmarshal(line, &e) != nil || e.V != FormatVersion || e.ID == "" || !e.Kind.valid() {
		return false
	}
	*ev = skimmed{Kind: e.Kind, ID: e.ID, File: e.File, BatchID: e.BatchID, AccountID: sr.dec.intern(e.AccountID),
		Status: sr.dec.intern(e.Status), ResultPath: e.ResultPath, HTTPStatus: e.HTTPStatus}
	return true
}
