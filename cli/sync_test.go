package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asticode/go-astisub"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// recordings makes n distinct recordings (a WAV fixture with a few bytes
// of its own appended) in dir below the harness's folder, named
// name-00.wav …, with an mtime a minute ago (still, for --settle).
func (h *harness) recordings(dir string, n int) []string {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "audio", "hello.wav"))
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for i := range n {
		p := filepath.Join(h.dir, dir, fmt.Sprintf("talk-%02d.wav", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, append(slices.Clone(data), fmt.Sprintf("recording %d of %s", i, dir)...), 0o644); err != nil {
			h.t.Fatal(err)
		}
		h.still(p)
		out = append(out, p)
	}
	return out
}

// still dates a file a minute back: it has been still for any --settle
// a test uses.
func (h *harness) still(p string) {
	h.t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		h.t.Fatal(err)
	}
}

// syncLines reads sync --json output.
func syncLines(t *testing.T, out string) []syncLine {
	t.Helper()
	var ls []syncLine
	for _, l := range lines(t, out) {
		var sl syncLine
		if err := json.Unmarshal([]byte(l), &sl); err != nil {
			t.Fatalf("sync --json line %q: %v", l, err)
		}
		ls = append(ls, sl)
	}
	return ls
}

// states counts the lines by state.
func states(ls []syncLine) map[string]int {
	out := map[string]int{}
	for _, l := range ls {
		out[l.State]++
	}
	return out
}

// uploadedBytes is what the fake received in file parts.
func uploadedBytes(f *fakeapi.Server) int64 {
	var n int64
	for _, r := range f.Requests() {
		n += r.FileSize
	}
	return n
}

// TestSyncTwice: the first sync (with --wait) sends every recording and
// writes its transcript next to it; the second sends nothing, checks
// nothing and says each file is done, as the same batch; exit 0 both.
func TestSyncTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Polls: 1})
	files := h.recordings("rec", 6)
	dir := filepath.Join(h.dir, "rec")

	res := h.run("sync", "--wait", "--json", "--response-format", "srt", dir)
	if res.code != 0 {
		t.Fatalf("first sync: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	first := syncLines(t, res.out)
	batchOf := map[string]string{}
	for _, l := range first {
		if l.State == "written" {
			batchOf[l.File] = l.BatchID
		}
	}
	if len(batchOf) != 6 || h.fake.SubmitCount() != 6 {
		t.Fatalf("first sync wrote %d files, the fake got %d submits:\n%s", len(batchOf), h.fake.SubmitCount(), res.out)
	}
	for _, f := range files {
		srt := strings.TrimSuffix(f, ".wav") + ".srt"
		if data, err := os.ReadFile(srt); err != nil || !bytes.Contains(data, []byte("-->")) {
			t.Errorf("%s: %v %q", srt, err, data)
		}
	}
	contains(t, "summary", res.errOut, "sync: 6 files: 6 written")

	submits, statuses, bytesBefore := h.fake.SubmitCount(), h.fake.StatusCount(), uploadedBytes(h.fake)
	res = h.run("sync", "--json", "--response-format", "srt", dir)
	if res.code != 0 {
		t.Fatalf("second sync: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	second := syncLines(t, res.out)
	if s := states(second); s["skipped"] != 6 || len(second) != 6 {
		t.Fatalf("second sync: %v\n%s", s, res.out)
	}
	for _, l := range second {
		if l.BatchID != batchOf[l.File] || l.Message != "done as batch "+l.BatchID {
			t.Errorf("%s: skipped as %s (%q), written as %s", l.File, l.BatchID, l.Message, batchOf[l.File])
		}
	}
	if h.fake.SubmitCount() != submits || h.fake.StatusCount() != statuses || uploadedBytes(h.fake) != bytesBefore {
		t.Errorf("the second sync sent something: %d submits, %d checks", h.fake.SubmitCount()-submits, h.fake.StatusCount()-statuses)
	}
	contains(t, "summary", res.errOut, "sync: 6 files: 6 skipped")

	// Other options are another job.
	res = h.run("sync", "--response-format", "vtt", dir)
	if res.code != 0 || strings.Count(res.out, " submitted batch_id=") != 6 {
		t.Fatalf("sync with other options: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
}

// TestSyncIgnoresFormValues: the form values the UI remembers are
// submit's defaults, not sync's: after the UI was used with another
// response format, a sync with no flags skips what it sent before.
func TestSyncIgnoresFormValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Polls: 1})
	h.recordings("rec", 3)
	dir := filepath.Join(h.dir, "rec")
	if res := h.run("sync", "--wait", dir); res.code != 0 || h.fake.SubmitCount() != 3 {
		t.Fatalf("first sync: exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
	h.writeConfig(`{"form": {"response_format": "text", "endpoint": "audio-turbo"}}`)
	res := h.run("sync", dir)
	if res.code != 0 || h.fake.SubmitCount() != 3 {
		t.Fatalf("a sync after the UI's form values changed sent %d files again: exit %d\n%s%s", h.fake.SubmitCount()-3, res.code, res.out, res.errOut)
	}
	contains(t, "summary", res.errOut, "sync: 3 files: 3 skipped")
	// submit still takes them.
	if res := h.run("submit", "--json", filepath.Join(dir, "talk-00.wav")); res.code != 0 || !strings.Contains(res.out, "audio-turbo") {
		t.Fatalf("submit did not take the form values: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
}

// TestSyncEveryFormatFromOneJob: --output-format srt,vtt,txt,tsv with a
// diarized request makes one job per recording and writes four files; the
// srt and vtt read back with go-astisub hold the fake's cues, times and
// speakers. A request whose format cannot give them is changed to
// verbose_json, said once.
func TestSyncEveryFormatFromOneJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	files := h.recordings("rec", 2)
	res := h.run("sync", "--wait", "--diarize", "--response-format", "verbose_json", "--timestamp-granularities", "word,segment",
		"--output-format", "srt,vtt,txt,tsv", filepath.Join(h.dir, "rec"))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if h.fake.SubmitCount() != 2 {
		t.Fatalf("%d submits, want one per recording", h.fake.SubmitCount())
	}
	for _, f := range files {
		stem := strings.TrimSuffix(f, ".wav")
		contains(t, "stdout", res.out, filepath.Base(f)+" written: "+filepath.Base(stem)+".srt, "+filepath.Base(stem)+".vtt, "+filepath.Base(stem)+".txt, "+filepath.Base(stem)+".tsv")
		for _, format := range []string{"srt", "vtt"} {
			data, err := os.ReadFile(stem + "." + format)
			if err != nil {
				t.Fatal(err)
			}
			var subs *astisub.Subtitles
			if format == "srt" {
				subs, err = astisub.ReadFromSRT(bytes.NewReader(data))
			} else {
				subs, err = astisub.ReadFromWebVTT(bytes.NewReader(data))
			}
			if err != nil || len(subs.Items) != 4 {
				t.Fatalf("%s: go-astisub read %v, %v\n%s", format, subs, err, data)
			}
			// The fake's script: 5 words of 350 ms, a 500 ms pause, …
			first, second := subs.Items[0], subs.Items[1]
			if first.StartAt != 0 || first.EndAt != 1750*time.Millisecond || second.StartAt != 2250*time.Millisecond {
				t.Errorf("%s cue times %v–%v, %v", format, first.StartAt, first.EndAt, second.StartAt)
			}
			if got := first.String(); got != "[SPEAKER_00] Welcome to the fwbatch demo." {
				t.Errorf("%s first cue %q", format, got)
			}
			if got := second.String(); !strings.HasPrefix(got, "[SPEAKER_01] ") {
				t.Errorf("%s second cue %q: no speaker", format, got)
			}
		}
		tsv, _ := os.ReadFile(stem + ".tsv")
		if !strings.HasPrefix(string(tsv), "start\tend\tspeaker\ttext\n0.000\t1.750\tSPEAKER_00\tWelcome") {
			t.Errorf("tsv:\n%s", tsv)
		}
	}

	// srt asked of a srt request cannot give vtt: verbose_json is asked for
	// instead, once, and said once.
	h2 := newHarness(t, fakeapi.Config{})
	h2.recordings("rec", 3)
	res = h2.run("sync", "--wait", "--response-format", "srt", "--output-format", "srt,vtt", filepath.Join(h2.dir, "rec"))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if n := strings.Count(res.errOut, "asking for verbose_json"); n != 1 {
		t.Errorf("the change of format was said %d times:\n%s", n, res.errOut)
	}
	contains(t, "stderr", res.errOut, "--output-format vtt cannot be made from a srt result: asking for verbose_json with timestamps segment instead")
	for _, r := range h2.fake.Requests() {
		if r.Kind == "submit" && (r.Fields["response_format"] != "verbose_json" || r.Fields["timestamp_granularities"] != "segment") {
			t.Errorf("the fake got %v", r.Fields)
		}
	}
}

// TestSyncNeverOverwrites: a transcript the user wrote is never replaced
// (exit 1, the file named); one fwbatch wrote and the user edited is kept
// (exit 0); --force replaces both; a deleted one is written again.
func TestSyncNeverOverwrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	files := h.recordings("rec", 2)
	dir := filepath.Join(h.dir, "rec")
	mine := strings.TrimSuffix(files[0], ".wav") + ".txt"
	os.WriteFile(mine, []byte("my own notes\n"), 0o644)

	res := h.run("sync", "--wait", "--response-format", "text", dir)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.out, res.errOut)
	}
	contains(t, "stdout", res.out, "talk-00.wav failed: talk-00.txt exists and fwbatch did not write it: not overwritten; --force overwrites",
		"talk-01.wav written: talk-01.txt")
	contains(t, "stderr", res.errOut, "talk-00.wav: failed: talk-00.txt exists")
	if data, _ := os.ReadFile(mine); string(data) != "my own notes\n" {
		t.Fatalf("the user's file was overwritten: %q", data)
	}
	edited := strings.TrimSuffix(files[1], ".wav") + ".txt"
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(edited, []byte("fixed by hand\n"), 0o644)
	res = h.run("sync", "--response-format", "text", files[1])
	if res.code != 0 || !strings.Contains(res.out, "talk-01.wav kept: talk-01.txt changed since fwbatch wrote it: kept; --force overwrites") {
		t.Fatalf("edited: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if data, _ := os.ReadFile(edited); string(data) != "fixed by hand\n" {
		t.Fatalf("an edited transcript was overwritten: %q", data)
	}

	res = h.run("sync", "--force", "--response-format", "text", dir)
	if res.code != 0 || strings.Count(res.out, " written: ") != 2 {
		t.Fatalf("--force: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	for _, p := range []string{mine, edited} {
		if data, _ := os.ReadFile(p); !strings.Contains(string(data), "Welcome") {
			t.Errorf("--force did not overwrite %s: %q", p, data)
		}
	}
	os.Remove(mine)
	res = h.run("sync", "--response-format", "text", dir)
	if res.code != 0 || !strings.Contains(res.out, "talk-00.wav written: talk-00.txt") || !strings.Contains(res.out, "talk-01.wav skipped") {
		t.Fatalf("deleted transcript: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if h.fake.SubmitCount() != 2 {
		t.Errorf("%d submits, want 2", h.fake.SubmitCount())
	}
	// What was written is recorded beside the history.
	ledger, err := os.ReadFile(h.hist + ".written")
	if err != nil || !bytes.Contains(ledger, []byte(`"path":"`+mine+`"`)) {
		t.Errorf("the ledger does not record %s: %v\n%s", mine, err, ledger)
	}
}

// TestSyncOutMirrors: -r descends into subfolders (not dot-folders, not
// dot-files), --out mirrors the tree, and two recordings named alike in
// one folder get the audio's whole name.
func TestSyncOutMirrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	h.recordings("rec/a/b", 1)
	h.recordings("rec/.hidden", 1)
	talk := h.recordings("rec", 1)[0]
	flac := filepath.Join(h.dir, "rec", "talk-00.flac")
	data, _ := os.ReadFile(filepath.Join("..", "testdata", "audio", "hello.flac"))
	os.WriteFile(flac, data, 0o644)
	h.still(flac)
	os.WriteFile(filepath.Join(h.dir, "rec", "._talk.wav"), []byte("AppleDouble"), 0o644)
	out := filepath.Join(h.dir, "out")
	os.Mkdir(out, 0o755)

	res := h.run("sync", "-r", "--wait", "--out", out, "--response-format", "srt", filepath.Join(h.dir, "rec"))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	for _, p := range []string{"a/b/talk-00.srt", "talk-00.wav.srt", "talk-00.flac.srt"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("--out: %v\n%s", err, res.out)
		}
	}
	if h.fake.SubmitCount() != 3 {
		t.Errorf("%d submits, want 3 (no dot-folder, no dot-file)", h.fake.SubmitCount())
	}
	if _, err := os.Stat(strings.TrimSuffix(talk, ".wav") + ".srt"); err == nil {
		t.Error("with --out, a transcript was written next to the audio")
	}
	// Without -r, the subfolder is left alone.
	res = h.run("sync", "--dry-run", "--out", out, "--response-format", "srt", filepath.Join(h.dir, "rec"))
	if res.code != 0 || len(lines(t, res.out)) != 2 {
		t.Fatalf("without -r: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
}

// TestSyncUnknownNeverResent: an upload whose outcome is unknown is never
// sent again by sync, and every run says so, exit 1.
func TestSyncUnknownNeverResent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:500")})
	h.recordings("rec", 1)
	dir := filepath.Join(h.dir, "rec")
	res := h.run("sync", dir)
	if res.code != 1 || !strings.Contains(res.out, "talk-00.wav unknown: HTTP 500") {
		t.Fatalf("first: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	for range 2 {
		res = h.run("sync", "--wait", dir)
		if res.code != 1 || !strings.Contains(res.out, "talk-00.wav unknown: the upload of ") || !strings.Contains(res.out, "is not sent again") {
			t.Fatalf("rerun: exit %d\n%s%s", res.code, res.out, res.errOut)
		}
	}
	if h.fake.SubmitCount() != 1 {
		t.Fatalf("%d submits, want 1", h.fake.SubmitCount())
	}
}

// TestSyncSendsAgainWhatFailed: a job that failed does not count: the next
// sync sends the recording again. Within one run a file is sent once: a
// job that fails under --wait is reported, not sent again and again.
func TestSyncSendsAgainWhatFailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "1:job-failed=expired,2:401")})
	h.recordings("rec", 1)
	dir := filepath.Join(h.dir, "rec")
	res := h.run("sync", "--wait", dir)
	if res.code != 1 || !strings.Contains(res.out, "talk-00.wav submitted") || !strings.Contains(res.out, `talk-00.wav failed: the job ended with status "expired"`) || h.fake.SubmitCount() != 1 {
		t.Fatalf("exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
	res = h.run("sync", "--wait", dir)
	if res.code != 1 || !strings.Contains(res.out, "talk-00.wav failed: HTTP 401") || h.fake.SubmitCount() != 2 {
		t.Fatalf("second: exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
	if n := len(lines(t, res.out)); n != 1 {
		t.Errorf("a refusal was said %d times", n)
	}
	res = h.run("sync", "--wait", dir)
	if res.code != 0 || !strings.Contains(res.out, "written") || h.fake.SubmitCount() != 3 {
		t.Fatalf("third: exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
}

// TestSyncDryRun sends, checks and writes nothing, needs no key, and says
// what would be done.
func TestSyncDryRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	files := h.recordings("rec", 2)
	dir := filepath.Join(h.dir, "rec")
	if res := h.run("sync", "--wait", "--output-format", "vtt", files[0]); res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	os.Remove(strings.TrimSuffix(files[0], ".wav") + ".vtt")
	submits, statuses := h.fake.SubmitCount(), h.fake.StatusCount()
	delete(h.env, "FIREWORKS_API_KEY")
	res := h.run("sync", "--dry-run", "--output-format", "vtt", dir)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	contains(t, "stdout", res.out, "talk-00.wav would write: talk-00.vtt", "talk-01.wav would submit")
	contains(t, "stderr", res.errOut, "sync --dry-run (nothing sent, checked or written): 2 files: 1 would submit, 1 would write")
	if h.fake.SubmitCount() != submits || h.fake.StatusCount() != statuses {
		t.Error("a dry run sent something")
	}
	if _, err := os.Stat(strings.TrimSuffix(files[0], ".wav") + ".vtt"); err == nil {
		t.Error("a dry run wrote a transcript")
	}

	// What would be sent is measured and priced, as submit --dry-run does.
	size := fmt.Sprint(fileSize(t, files[1]))
	contains(t, "stdout", res.out, "talk-01.wav would submit ("+cost.Bytes(fileSize(t, files[1]))+", 2 s, ≈ $0.0000")
	contains(t, "stderr", res.errOut, "would submit 1 file, "+cost.Bytes(fileSize(t, files[1]))+", 2 s of audio: ≈ $0.0000", "not included: diarization")
	res = h.run("sync", "--dry-run", "--json", "--output-format", "vtt", dir)
	var plan struct {
		File        string   `json:"file"`
		State       string   `json:"state"`
		Size        *int64   `json:"size"`
		DurationS   *float64 `json:"duration_s"`
		EstimateUSD *float64 `json:"estimate_usd"`
	}
	for _, l := range lines(t, res.out) {
		if !strings.Contains(l, `"would submit"`) {
			if strings.Contains(l, `"estimate_usd"`) {
				t.Errorf("a line that sends nothing has an estimate: %s", l)
			}
			continue
		}
		if err := json.Unmarshal([]byte(l), &plan); err != nil {
			t.Fatal(err)
		}
		if plan.Size == nil || fmt.Sprint(*plan.Size) != size || plan.DurationS == nil || *plan.DurationS < 1.5 || *plan.DurationS > 1.9 ||
			plan.EstimateUSD == nil || *plan.EstimateUSD <= 0 {
			t.Errorf("--json would-submit line %s: want size %s, duration_s about 1.7 and an estimate", l, size)
		}
	}
	if plan.File == "" {
		t.Errorf("no would-submit line in --json:\n%s", res.out)
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestSyncSettle: a file changed less than --settle ago is left for later
// (not a failure); --wait waits for it and sends it.
func TestSyncSettle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	f := h.recordings("rec", 1)[0]
	now := time.Now()
	os.Chtimes(f, now, now)
	res := h.run("sync", "--settle", "1h", f)
	if res.code != 0 || !strings.Contains(res.out, "talk-00.wav waiting: changed less than 1h0m0s ago") || h.fake.SubmitCount() != 0 {
		t.Fatalf("exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
	res = h.run("sync", "--settle", "300ms", "--wait", f)
	if res.code != 0 || !strings.Contains(res.out, "submitted") || !strings.Contains(res.out, "written") || h.fake.SubmitCount() != 1 {
		t.Fatalf("--wait: exit %d, %d submits\n%s%s", res.code, h.fake.SubmitCount(), res.out, res.errOut)
	}
}

// TestSyncUsage: usage and setup errors exit 2 with one line.
func TestSyncUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	dir := filepath.Dir(h.recordings("rec", 1)[0])
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sync"}, "give the folders (or files) to sync"},
		{[]string{"sync", filepath.Join(h.dir, "nowhere")}, "nowhere: no such file or folder"},
		{[]string{"sync", "--dry-run", "--wait", dir}, "--dry-run sends and checks nothing"},
		{[]string{"sync", "--wait", "--watch", dir}, "--wait and --watch"},
		{[]string{"sync", "--watch", "--wait", dir}, "--wait and --watch"},
		{[]string{"sync", "--output-format", "docx", dir}, `"docx" is not an output format`},
		{[]string{"sync", "--out", filepath.Join(h.dir, "none"), dir}, "not a folder; make it first"},
		{[]string{"sync", "--settle", "-1s", dir}, "must not be negative"},
		{[]string{"sync", "--diarize", dir}, "invalid options: --diarize"},
	} {
		res := h.run(tt.args...)
		if res.code != 2 || !strings.Contains(res.errOut, tt.want) || len(lines(t, res.errOut)) != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, res.code, res.errOut, tt.want)
		}
	}
	delete(h.env, "FIREWORKS_API_KEY")
	if res := h.run("sync", dir); res.code != 2 || !strings.Contains(res.errOut, "no API key") {
		t.Errorf("no key: exit %d, %q", res.code, res.errOut)
	}
	if h.fake.SubmitCount() != 0 {
		t.Error("a usage error sent something")
	}
}

// TestTwoSyncsAtOnce: two syncs of one folder at the same moment (each
// having found every file without a job) send each recording once
// between them.
func TestTwoSyncsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{ReadRate: 4_000_000})
	h.recordings("rec", 12)
	dir := filepath.Join(h.dir, "rec")
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range 2 {
		wg.Go(func() { results[i] = h.runWithin("sync", "--concurrency", "3", "--json", dir) })
	}
	wg.Wait()
	submitted, lines := 0, 0
	for _, res := range results {
		if res.hung != "" || res.code != 0 {
			t.Fatalf("exit %d %s\n%s%s", res.code, res.hung, res.out, res.errOut)
		}
		ls := syncLines(t, res.out)
		lines += len(ls)
		submitted += states(ls)["submitted"]
	}
	bySHA := map[string]int{}
	for _, r := range h.fake.Requests() {
		if r.Kind == "submit" {
			bySHA[r.FileSHA256]++
		}
	}
	// Each sync says something of every file; between them, each
	// recording was submitted once (the other said it was being sent,
	// processing, skipped or written).
	if len(bySHA) != 12 || submitted != 12 || lines != 24 {
		t.Errorf("%d recordings at the fake, %d submitted, %d lines in the two outputs:\n%s\n%s", len(bySHA), submitted, lines, results[0].out, results[1].out)
	}
	for sha, n := range bySHA {
		if n != 1 {
			t.Errorf("recording %s…: %d jobs", sha[:12], n)
		}
	}
}

// TestResultOutputFormats: result writes every format asked for from a
// verbose_json result, next to the audio or into -o DIR; from another
// result, a format it cannot give is one line naming the job, exit 1.
func TestResultOutputFormats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	file := h.audio("hello.flac", "talk.flac")
	verbose := h.submitted("--response-format", "verbose_json", "--diarize", "--timestamp-granularities", "word", file)[0]
	res := h.run("result", "--output-format", "all", verbose.BatchID)
	dir := filepath.Dir(file)
	want := []string{"talk.srt", "talk.vtt", "talk.txt", "talk.tsv", "talk.json"}
	got := lines(t, res.out)
	if res.code != 0 || len(got) != len(want) {
		t.Fatalf("exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	for i, name := range want {
		if got[i] != filepath.Join(dir, name) {
			t.Errorf("line %d: %s, want %s", i, got[i], filepath.Join(dir, name))
		}
	}
	if srt, _ := os.ReadFile(filepath.Join(dir, "talk.srt")); !strings.HasPrefix(string(srt), "1\n00:00:00,000 --> 00:00:01,750\n[SPEAKER_00] Welcome") {
		t.Errorf("talk.srt:\n%s", srt)
	}
	out := filepath.Join(h.dir, "out")
	os.Mkdir(out, 0o755)
	if res := h.run("result", "--output-format", "vtt", "-o", out, verbose.ID); res.code != 0 || oneLine(t, "stdout", res.out) != filepath.Join(out, "talk.vtt") {
		t.Fatalf("-o DIR: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if res := h.run("result", "--output-format", "srt,vtt", "-o", "-", verbose.ID); res.code != 2 || !strings.Contains(res.errOut, "-o - (stdout) takes one format only") {
		t.Errorf("-o - with two formats: exit %d, %q", res.code, res.errOut)
	}

	srt := h.submitted("--response-format", "srt", h.audio("hello.wav", "memo.wav"))[1]
	res = h.run("result", "--output-format", "srt,vtt", srt.BatchID)
	if res.code != 1 || oneLine(t, "stdout", res.out) != filepath.Join(dir, "memo.srt") {
		t.Fatalf("srt result: exit %d\n%s%s", res.code, res.out, res.errOut)
	}
	if got := oneLine(t, "stderr", res.errOut); got != "fwbatch: memo.wav (batch "+srt.BatchID+"): cannot write vtt from a srt result, only srt; a verbose_json result gives every format" {
		t.Errorf("stderr %q", got)
	}
}
