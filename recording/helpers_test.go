package recording_test

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// writeAudio writes a file of size bytes that passes fwbatch's pre-flight
// check (a WAV header), filled from seed, and returns it as listed.
func writeAudio(t testing.TB, path string, size int, seed uint64) recording.File {
	t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "RIFF\x24\x00\x00\x00WAVEfmt ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return stat(t, path)
}

func stat(t testing.TB, path string) recording.File {
	t.Helper()
	f, err := recording.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fingerprint(t testing.TB, path string) string {
	t.Helper()
	fp, _, err := submit.FingerprintFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// historyWriter writes events straight to a history file, without the
// lock, as a fixture; store.Load reads them back.
type historyWriter struct {
	t testing.TB
	f *os.File
	w *bufio.Writer
}

func newHistory(t testing.TB, path string) *historyWriter {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return &historyWriter{t: t, f: f, w: bufio.NewWriterSize(f, 1<<20)}
}

func (h *historyWriter) add(evs ...store.Event) {
	for _, ev := range evs {
		ev.V = store.FormatVersion
		if ev.Time.IsZero() {
			ev.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			h.t.Fatal(err)
		}
		h.w.Write(append(b, '\n'))
	}
}

// load closes the file and reads it back with the store.
func (h *historyWriter) load() []*store.Submission {
	h.t.Helper()
	if err := h.w.Flush(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.f.Close(); err != nil {
		h.t.Fatal(err)
	}
	st, err := store.Open(h.f.Name())
	if err != nil {
		h.t.Fatal(err)
	}
	hist, err := st.Load()
	if err != nil || !hist.Report().Clean() {
		h.t.Fatalf("loading the fixture history: %v %s", err, hist.Report())
	}
	return hist.Submissions()
}

// started is a "started" event for f with opts, as RunBatch writes it.
func started(id string, f recording.File, fp string, opts submit.Options) store.Event {
	o := opts.WithDefaults()
	mt := f.MTime.UTC()
	return store.Event{Kind: store.KindStarted, ID: id, Host: "box", PID: 4242, File: f.Path, Size: f.Size, MTime: &mt,
		Task: o.Task, Endpoint: o.Endpoint, Model: o.Model, Options: o.Extra(), Fingerprint: fp}
}

func submitted(id string) store.Event {
	return store.Event{Kind: store.KindSubmitted, ID: id, BatchID: "batch-" + id, AccountID: "acct", EndpointID: "audio-prod"}
}

func status(id, s string) store.Event {
	return store.Event{Kind: store.KindStatus, ID: id, Status: s}
}

func neverAlive(string, int, time.Time) bool  { return false }
func alwaysAlive(string, int, time.Time) bool { return true }
