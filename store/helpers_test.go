package store

import (
	"bufio"
	"fmt"
	"os"
	"testing"
	"time"
)

// sampleEvents returns the events of submission i as a typical run writes
// them: started, submitted, and a completed status with a saved result.
func sampleEvents(i int, t0 time.Time) []Event {
	id := fmt.Sprintf("%s-%06x", t0.Add(time.Duration(i)*time.Millisecond).UTC().Format("20060102T150405.000000Z"), i)
	at := func(d time.Duration) time.Time { return t0.Add(time.Duration(i)*time.Millisecond + d).UTC() }
	mtime := t0.Add(-time.Hour).UTC()
	return []Event{
		{V: FormatVersion, Kind: KindStarted, ID: id, Time: at(0), Host: "box", PID: 4242,
			File: fmt.Sprintf("/home/user/recordings/2026/meeting-%06d.flac", i), Size: 123456789, MTime: &mtime,
			Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3",
			Options: map[string]string{"response_format": "verbose_json", "diarize": "true", "language": "en", "timestamp_granularities": "word"}},
		{V: FormatVersion, Kind: KindSubmitted, ID: id, Time: at(time.Second), Host: "box", PID: 4242,
			BatchID: fmt.Sprintf("batch-%016x", i), AccountID: "acct-1234", EndpointID: "audio-prod"},
		{V: FormatVersion, Kind: KindStatus, ID: id, Time: at(time.Minute), Host: "box", PID: 4242,
			Status: "COMPLETED", ResultPath: "/home/user/.local/state/fwbatch/results/" + id + ".json"},
	}
}

// writeSampleHistory writes n submissions straight to path, without the
// lock: a fixture for tests and benchmarks.
func writeSampleHistory(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		lines, err := encodeEvents(sampleEvents(i, t0))
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range lines {
			w.Write(l)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	// On disk, so that the first fsync of a benchmark does not pay for it.
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}
