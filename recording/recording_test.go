package recording_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/recording"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestRecognisedAfterSubmit goes through the real path: RunBatch records
// the fingerprint against the fake, then the files are renamed, moved and
// changed, and the history is asked about them.
func TestRecognisedAfterSubmit(t *testing.T) {
	const mib = 1 << 20
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "state", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	fake := fakeapi.StartTest(t, fakeapi.Config{APIKey: "k"})
	client, err := submit.NewClient(submit.Config{BaseURL: fake.URL(), APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)

	names := []string{"moved", "head", "tail", "middle", "longer", "untouched"}
	paths := map[string]string{}
	var items []submit.BatchItem
	opts := submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word", Diarize: true}
	for i, n := range names {
		paths[n] = filepath.Join(dir, "in", n+".wav")
		writeAudio(t, paths[n], 3*mib+i, uint64(i+1))
		items = append(items, submit.BatchItem{File: paths[n], Options: opts})
	}
	client.RunBatch(context.Background(), st, items, 2, func(ev submit.BatchEvent) {
		if ev.Type == submit.EventDone && ev.Outcome != store.KindSubmitted {
			t.Errorf("%s: %s %v", ev.Item.File, ev.Outcome, ev.Err)
		}
	})

	// Renamed and moved to another folder; changed in its first MiB, its
	// last MiB, its middle; one byte added; left alone.
	moved := filepath.Join(dir, "elsewhere", "deeper", "renamed.wav")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(paths["moved"], moved); err != nil {
		t.Fatal(err)
	}
	flip := func(path string, off int64) {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if off < 0 {
			fi, _ := f.Stat()
			off += fi.Size()
		}
		b := []byte{0}
		f.ReadAt(b, off)
		b[0] ^= 0xff
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	flip(paths["head"], mib-1)
	flip(paths["tail"], -mib)
	flip(paths["middle"], 3*mib/2)
	f, _ := os.OpenFile(paths["longer"], os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0})
	f.Close()

	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	ix := recording.NewIndex(h.Submissions(), nil)
	cache := recording.OpenCache(st.Path())
	for _, tt := range []struct {
		path  string
		state recording.State
	}{
		{moved, recording.StateProcessing},
		{paths["head"], recording.StateNone},
		{paths["tail"], recording.StateNone},
		{paths["middle"], recording.StateProcessing}, // the known blind spot
		{paths["longer"], recording.StateNone},
		{paths["untouched"], recording.StateProcessing},
	} {
		r, err := ix.Recognise(stat(t, tt.path), cache)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(tt.path)
		if got := r.Status().State; got != tt.state {
			t.Errorf("%s: state %v (%q), want %v", name, got, r.Status().Word(), tt.state)
		}
		v, sub := r.DoneFor(opts)
		if want := tt.state == recording.StateProcessing; (v == recording.Done) != want || (sub != nil) != want {
			t.Errorf("%s: done for the same options = %v %v, want done %v", name, v, sub, want)
		}
		if v, _ := r.DoneFor(submit.Options{ResponseFormat: "srt"}); v != recording.NotDone {
			t.Errorf("%s: done for other options = %v", name, v)
		}
	}
	if fake.SubmitCount() != len(names) {
		t.Errorf("the fake saw %d submits", fake.SubmitCount())
	}
}

// TestDoneFor: which states count as done for the same options, which
// count as maybe, and that other options never count.
func TestDoneFor(t *testing.T) {
	opts := submit.Options{ResponseFormat: "srt", Language: "de"}
	f := recording.File{Path: "/rec/a.flac", Size: 1000, MTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	fp := fakeFingerprint(1000, 1)
	type sub struct {
		evs    []store.Event // after started
		opts   *submit.Options
		hidden bool
	}
	tests := []struct {
		name    string
		alive   recording.Alive
		subs    []sub
		verdict recording.Verdict
		state   recording.State
		word    string
	}{
		{"never submitted", nil, nil, recording.NotDone, recording.StateNone, ""},
		{"submitted", nil, []sub{{evs: []store.Event{submitted("x")}}}, recording.Done, recording.StateProcessing, "processing"},
		{"processing", nil, []sub{{evs: []store.Event{submitted("x"), status("x", "PROCESSING")}}}, recording.Done, recording.StateProcessing, "processing"},
		{"completed", nil, []sub{{evs: []store.Event{submitted("x"), status("x", "completed")}}}, recording.Done, recording.StateDone, "done"},
		{"completed and hidden", nil, []sub{{evs: []store.Event{submitted("x"), status("x", "completed")}, hidden: true}}, recording.Done, recording.StateDone, "done"},
		{"job expired", nil, []sub{{evs: []store.Event{submitted("x"), status("x", "Expired")}}}, recording.NotDone, recording.StateFailed, "expired"},
		{"refused", nil, []sub{{evs: []store.Event{{Kind: store.KindFailed, ID: "x", HTTPStatus: 413}}}}, recording.NotDone, recording.StateFailed, "failed"},
		{"interrupted", nil, []sub{{evs: []store.Event{{Kind: store.KindInterrupted, ID: "x"}}}}, recording.NotDone, recording.StateInterrupted, "interrupted"},
		{"unknown", nil, []sub{{evs: []store.Event{{Kind: store.KindUnknown, ID: "x", HTTPStatus: 502}}}}, recording.Maybe, recording.StateUnknown, "unknown"},
		{"unknown, the job it named not checked yet", nil, []sub{{evs: []store.Event{{Kind: store.KindUnknown, ID: "x", BatchID: "b", AccountID: "acct"}}}},
			recording.Maybe, recording.StateUnknown, "unknown"},
		{"unknown, the job it named found processing", nil, []sub{{evs: []store.Event{{Kind: store.KindUnknown, ID: "x", BatchID: "b", AccountID: "acct"}, status("x", "processing")}}},
			recording.Done, recording.StateProcessing, "processing"},
		{"unknown, the job it named not found", nil, []sub{{evs: []store.Event{{Kind: store.KindUnknown, ID: "x", BatchID: "b", AccountID: "acct"}, {Kind: store.KindStatus, ID: "x", HTTPStatus: 404}}}},
			recording.NotDone, recording.StateFailed, "not found"},
		{"uploading now", alwaysAlive, []sub{{}}, recording.Done, recording.StateUploading, "uploading"},
		{"upload killed", neverAlive, []sub{{}}, recording.NotDone, recording.StateInterrupted, "interrupted"},
		{"done with other options", nil, []sub{{evs: []store.Event{submitted("x"), status("x", "completed")}, opts: &submit.Options{ResponseFormat: "srt"}}},
			recording.NotDone, recording.StateDone, "done"},
		{"unknown, then done", nil, []sub{
			{evs: []store.Event{{Kind: store.KindUnknown, ID: "x"}}},
			{evs: []store.Event{submitted("x")}}}, recording.Done, recording.StateProcessing, "processing"},
		{"done, then failed again", nil, []sub{
			{evs: []store.Event{submitted("x"), status("x", "completed")}},
			{evs: []store.Event{{Kind: store.KindFailed, ID: "x"}}}}, recording.Done, recording.StateDone, "done"},
		{"failed, then unknown", nil, []sub{
			{evs: []store.Event{{Kind: store.KindFailed, ID: "x"}}},
			{evs: []store.Event{{Kind: store.KindUnknown, ID: "x"}}}}, recording.Maybe, recording.StateUnknown, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hw := newHistory(t, filepath.Join(t.TempDir(), "history.jsonl"))
			for i, s := range tt.subs {
				id := string(rune('a' + i))
				o := opts
				if s.opts != nil {
					o = *s.opts
				}
				hw.add(started(id, f, fp, o))
				for _, ev := range s.evs {
					ev.ID = id
					if ev.Kind == store.KindSubmitted {
						ev.BatchID = "batch-" + id
					}
					hw.add(ev)
				}
				if s.hidden {
					hw.add(store.Event{Kind: store.KindHidden, ID: id})
				}
			}
			alive := tt.alive
			if alive == nil {
				alive = neverAlive
			}
			ix := recording.NewIndex(hw.load(), alive)
			// The path is not there: nothing may need reading.
			r, err := ix.Recognise(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, by := r.DoneFor(opts)
			if v != tt.verdict || (by == nil) != (v == recording.NotDone) {
				t.Errorf("DoneFor = %v by %+v, want %v", v, by, tt.verdict)
			}
			st := r.Status()
			if st.State != tt.state || st.Word() != tt.word || st.Submissions != len(tt.subs) || (st.Sub == nil) != (tt.state == recording.StateNone) {
				t.Errorf("Status = %v %q (%d submissions), want %v %q", st.State, st.Word(), st.Submissions, tt.state, tt.word)
			}
			if st.State != recording.StateNone && (st.State.Glyph(false) == "" || st.State.Glyph(true) == "") {
				t.Errorf("%v has no glyph", st.State)
			}
		})
	}
}

// TestNormalise: options that ask the server the same thing are equal,
// whatever was spelled out; each field that changes the request makes
// them differ.
func TestNormalise(t *testing.T) {
	base := submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word", Diarize: true}
	same := []submit.Options{
		{Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3", ResponseFormat: "verbose_json",
			TimestampGranularities: "word", Diarize: true, Temperature: "0", MinSpeakers: 1,
			VADModel: "silero", AlignmentModel: "mms_fa", Preprocessing: "none"},
		{ResponseFormat: "verbose_json", TimestampGranularities: "word", Diarize: true, Temperature: "0.0", Force: true},
	}
	for _, o := range same {
		if recording.Normalise(o) != recording.Normalise(base) {
			t.Errorf("%+v and %+v differ after Normalise", o, base)
		}
	}
	if recording.Normalise(submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "segment,word"}) !=
		recording.Normalise(submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word,segment"}) {
		t.Error("segment,word and word,segment differ")
	}
	if recording.Normalise(submit.Options{ResponseFormat: "verbose_json"}) !=
		recording.Normalise(submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "segment"}) {
		t.Error("verbose_json's default granularity is segment")
	}
	if recording.Normalise(submit.Options{Temperature: "0,0.20,.4"}) != recording.Normalise(submit.Options{Temperature: "0,0.2,0.4"}) {
		t.Error("temperature lists spelled differently differ")
	}
	differ := map[string]func(*submit.Options){
		"task":            func(o *submit.Options) { o.Task, o.Diarize, o.TimestampGranularities = "translate", false, "" },
		"endpoint":        func(o *submit.Options) { o.Endpoint = "audio-turbo" },
		"model":           func(o *submit.Options) { o.Model = "whisper-v3-turbo" },
		"response format": func(o *submit.Options) { o.ResponseFormat, o.Diarize, o.TimestampGranularities = "json", false, "" },
		"diarize":         func(o *submit.Options) { o.Diarize = false },
		"language":        func(o *submit.Options) { o.Language = "en" },
		"prompt":          func(o *submit.Options) { o.Prompt = "Names: Ada" },
		"temperature":     func(o *submit.Options) { o.Temperature = "0.2" },
		"granularities":   func(o *submit.Options) { o.TimestampGranularities = "word,segment" },
		"min speakers":    func(o *submit.Options) { o.MinSpeakers = 2 },
		"max speakers":    func(o *submit.Options) { o.MaxSpeakers = 3 },
		"vad":             func(o *submit.Options) { o.VADModel = "whisperx-pyannet" },
		"alignment":       func(o *submit.Options) { o.AlignmentModel = "tdnn_ffn" },
		"preprocessing":   func(o *submit.Options) { o.Preprocessing = "dynamic" },
	}
	for name, change := range differ {
		o := base
		change(&o)
		if recording.Normalise(o) == recording.Normalise(base) {
			t.Errorf("%s: %+v equals %+v after Normalise", name, o, base)
		}
	}
}

// TestLegacyAndFastPath: submissions recorded before fingerprints are
// recognised by path, size and mtime only; files are read only when
// nothing cheaper tells.
func TestLegacyAndFastPath(t *testing.T) {
	dir := t.TempDir()
	hw := newHistory(t, filepath.Join(dir, "history.jsonl"))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	legacy := recording.File{Path: "/gone/old.flac", Size: 500, MTime: t0}
	hw.add(started("old", legacy, "", submit.Options{}), submitted("old"))
	known := recording.File{Path: "/gone/new.flac", Size: 700, MTime: t0}
	hw.add(started("new", known, "v1:700:"+strings.Repeat("ab", 32), submit.Options{}), submitted("new"))
	// A newer fwbatch's fingerprint cannot be compared: by place, as legacy.
	newer := recording.File{Path: "/gone/newer.flac", Size: 900, MTime: t0}
	hw.add(started("v2", newer, "v2:900:whatever-comes-next", submit.Options{}), submitted("v2"))
	ix := recording.NewIndex(hw.load(), neverAlive)

	for _, tt := range []struct {
		name   string
		f      recording.File
		subs   int
		reads  bool
		errors bool
	}{
		{"legacy at its place", legacy, 1, false, false},
		{"legacy, other mtime", recording.File{Path: legacy.Path, Size: 500, MTime: t0.Add(time.Nanosecond)}, 0, false, false},
		{"legacy, moved", recording.File{Path: "/gone/moved.flac", Size: 500, MTime: t0}, 0, false, false},
		{"fingerprinted at its place: no read", known, 1, false, false},
		{"a size no submission has: no read", recording.File{Path: "/gone/x.flac", Size: 701, MTime: t0}, 0, false, false},
		{"newer fingerprint at its place", newer, 1, false, false},
		{"newer fingerprint, moved", recording.File{Path: "/gone/newer2.flac", Size: 900, MTime: t0}, 0, false, false},
		{"a size a submission has: must read", recording.File{Path: "/gone/y.flac", Size: 700, MTime: t0}, 0, true, true},
	} {
		if got := ix.NeedsRead(tt.f, nil); got != tt.reads {
			t.Errorf("%s: NeedsRead = %v", tt.name, got)
		}
		r, err := ix.Recognise(tt.f, nil) // none of these paths exist: a read fails
		if (err != nil) != tt.errors || len(r.Subs) != tt.subs {
			t.Errorf("%s: %d submissions, err %v; want %d, error %v", tt.name, len(r.Subs), err, tt.subs, tt.errors)
		}
		if err != nil && !strings.Contains(err.Error(), "y.flac: no such file") {
			t.Errorf("%s: error %q does not name the file", tt.name, err)
		}
	}
}

// TestRecogniseAll reports every file once: those that need no reading
// first, in order, then the others.
func TestRecogniseAll(t *testing.T) {
	dir := t.TempDir()
	hw := newHistory(t, filepath.Join(dir, "history.jsonl"))
	var files []recording.File
	for i := range 20 {
		f := writeAudio(t, filepath.Join(dir, "a", "f"+string(rune('a'+i))+".wav"), 4000+i, uint64(i))
		files = append(files, f)
		if i%2 == 0 {
			// Submitted from another path: recognised only by reading it.
			moved := f
			moved.Path = filepath.Join(dir, "old", filepath.Base(f.Path))
			hw.add(started(string(rune('a'+i)), moved, fingerprint(t, f.Path), submit.Options{}), submitted(string(rune('a'+i))))
		}
	}
	files = append(files, recording.File{Path: filepath.Join(dir, "vanished.wav"), Size: 4000, MTime: files[0].MTime})
	ix := recording.NewIndex(hw.load(), neverAlive)
	cache := recording.OpenCache(filepath.Join(dir, "history.jsonl"))

	seen := map[int]bool{}
	var order []int
	ix.RecogniseAll(context.Background(), files, cache, 3, func(f recording.Found) {
		if seen[f.Index] {
			t.Errorf("file %d reported twice", f.Index)
		}
		seen[f.Index] = true
		order = append(order, f.Index)
		wantErr := f.Index == 20
		if (f.Err != nil) != wantErr {
			t.Errorf("file %d: err %v", f.Index, f.Err)
		}
		if want := f.Index%2 == 0 && !wantErr; (f.Recording.Status().State == recording.StateProcessing) != want {
			t.Errorf("file %d: state %v, want processing %v", f.Index, f.Recording.Status().State, want)
		}
	})
	if len(seen) != len(files) {
		t.Fatalf("%d of %d files reported", len(seen), len(files))
	}
	// The odd ones have sizes no submission has: answered at once, in order.
	for k, i := range order[:10] {
		if i != 2*k+1 {
			t.Fatalf("order %v: the files needing no read do not come first", order)
		}
	}
	// A second pass reads nothing: the cache knows them now.
	for _, f := range files[:20] {
		if ix.NeedsRead(f, cache) {
			t.Errorf("%s: still needs reading after the first pass", f.Path)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ix.RecogniseAll(ctx, files, cache, 3, func(f recording.Found) { t.Errorf("reported %d after cancel", f.Index) })
}
