// Package benchdata makes the folder-work benchmarks' fixture: a folder of
// audio files and a long history that knows some of them, as after months
// of use. The UI's Files benchmark and `sync --dry-run`'s use the same one.
// Only tests import it.
package benchdata

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/transcripts"
)

// Sizes of the fixture.
const (
	Subs    = 100_000 // submissions in the history
	Files   = 10_000  // audio files in the folder
	InPlace = 5_000   // sent from where they are, completed, transcript written beside them
	Moved   = 2_000   // sent from another folder, completed; no transcript here yet
	// The other 3,000 were never sent; no submission has their size.
)

// Fixture is where Make put things.
type Fixture struct {
	History string // the history file
	Folder  string // the audio files: talk-00000.wav …
	Result  []byte // every job's result (json)
}

// Options are the request options of every submission: the defaults, as a
// plain `fwbatch sync` asks.
func Options() submit.Options { return submit.Options{}.WithDefaults() }

// Make writes the fixture under dir: the folder, the history (written
// straight, as Append would, without the lock: it is new), the saved
// results, the transcripts beside the files sent from there, and the
// ledger that records them. File i is 4,000+i bytes.
func Make(dir string) (Fixture, error) {
	fx := Fixture{
		History: filepath.Join(dir, "state", "history.jsonl"),
		Folder:  filepath.Join(dir, "folder"),
		Result:  []byte(`{"text":"Welcome to the fwbatch demo."}`),
	}
	for _, d := range []string{filepath.Dir(fx.History), fx.Folder, filepath.Join(filepath.Dir(fx.History), "results")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fx, err
		}
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := Options()
	h, err := os.Create(fx.History)
	if err != nil {
		return fx, err
	}
	defer h.Close()
	hw := bufio.NewWriterSize(h, 1<<20)
	l, err := os.Create(transcripts.LedgerPath(fx.History))
	if err != nil {
		return fx, err
	}
	defer l.Close()
	lw := bufio.NewWriter(l)
	line := func(w *bufio.Writer, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	for i := range Subs {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		id := fmt.Sprintf("%s-%06x", at.Format("20060102T150405.000000Z"), i)
		path := fmt.Sprintf("/home/user/recordings/2026/meeting-%06d.flac", i)
		size := int64(50_000 + i)
		mtime := t0
		fp := fmt.Sprintf("v1:%d:%064x", size, i)
		if i < InPlace+Moved {
			p := filepath.Join(fx.Folder, fmt.Sprintf("talk-%05d.wav", i))
			if size, fp, err = WriteAudio(p, 4000+i, uint64(i), t0); err != nil {
				return fx, err
			}
			path = p
			if i >= InPlace {
				path = filepath.Join(dir, "old-folder", filepath.Base(p))
			}
		}
		result := filepath.Join(filepath.Dir(fx.History), "results", id+".json")
		evs := []store.Event{
			{Kind: store.KindStarted, ID: id, Time: at, Host: "box", PID: 4242, File: path, Size: size, MTime: &mtime, Fingerprint: fp,
				Task: opts.Task, Endpoint: opts.Endpoint, Model: opts.Model, Options: opts.Extra()},
			{Kind: store.KindSubmitted, ID: id, Time: at.Add(time.Second), Host: "box", PID: 4242, BatchID: "batch-" + id, AccountID: "acct", EndpointID: opts.Endpoint},
			{Kind: store.KindStatus, ID: id, Time: at.Add(time.Minute), Host: "box", PID: 4242, Status: "completed", ResultPath: result},
		}
		for _, ev := range evs {
			ev.V = store.FormatVersion
			if err := line(hw, ev); err != nil {
				return fx, err
			}
		}
		if i < InPlace+Moved {
			if err := os.WriteFile(result, fx.Result, 0o600); err != nil {
				return fx, err
			}
		}
		if i < InPlace {
			tx := filepath.Join(fx.Folder, fmt.Sprintf("talk-%05d.json", i))
			if err := os.WriteFile(tx, fx.Result, 0o644); err != nil {
				return fx, err
			}
			fi, err := os.Stat(tx)
			if err != nil {
				return fx, err
			}
			sum := sha256.Sum256(fx.Result)
			if err := line(lw, transcripts.Entry{V: 1, Path: tx, Size: fi.Size(), MTime: fi.ModTime().UnixNano(),
				SHA256: hex.EncodeToString(sum[:]), ID: id, Format: "json", Time: at}); err != nil {
				return fx, err
			}
		}
	}
	for i := InPlace + Moved; i < Files; i++ {
		if _, _, err := WriteAudio(filepath.Join(fx.Folder, fmt.Sprintf("talk-%05d.wav", i)), 4000+i, uint64(i), t0); err != nil {
			return fx, err
		}
	}
	if err := hw.Flush(); err != nil {
		return fx, err
	}
	return fx, lw.Flush()
}

// WriteAudio writes a file of size bytes that passes fwbatch's checks (a
// WAV header), filled from seed, dated mtime; it returns its size and
// fingerprint.
func WriteAudio(path string, size int, seed uint64, mtime time.Time) (int64, string, error) {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "RIFF\x24\x00\x00\x00WAVEfmt ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return 0, "", err
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		return 0, "", err
	}
	fp, info, err := submit.FingerprintFile(path)
	if err != nil {
		return 0, "", err
	}
	return info.Size(), fp, nil
}
