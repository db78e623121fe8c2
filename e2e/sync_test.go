package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/benchdata"
	"github.com/fwbatch/fwbatch/internal/tmuxtest"
)

// Issue 9: folder work with `fwbatch sync`, on the built binary against
// the standalone fake.

// recordingsDir makes n distinct recordings of size bytes each (a WAV
// header, then bytes from seed), named rec-00.wav …, dated a minute back
// (still, for --settle).
func recordingsDir(t *testing.T, n, size int, seed uint64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "recordings")
	os.MkdirAll(dir, 0o755)
	for i := range n {
		writeRecording(t, filepath.Join(dir, fmt.Sprintf("rec-%02d.wav", i)), size, seed+uint64(i))
	}
	return dir
}

func writeRecording(t *testing.T, path string, size int, seed uint64) {
	t.Helper()
	if _, _, err := benchdata.WriteAudio(path, size, seed, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// jobsByContent counts the jobs the fake made, by the SHA-256 of the file
// each was made from.
func (f *fake) jobsByContent() map[string]int {
	out := map[string]int{}
	for _, r := range f.requests() {
		if r.Kind == "submit" && r.Status == 200 && r.BatchID != "" {
			out[r.FileSHA256]++
		}
	}
	return out
}

// submits is how many upload requests reached the fake (status checks
// are not uploads).
func (f *fake) submits() int {
	n := 0
	for _, r := range f.requests() {
		if r.Kind == "submit" {
			n++
		}
	}
	return n
}

// uploaded is every byte of upload bodies the fake read.
func (f *fake) uploaded() int64 {
	var n int64
	for _, r := range f.requests() {
		if r.Kind == "submit" {
			n += r.BodyRead
		}
	}
	return n
}

type syncJSON struct {
	File    string   `json:"file"`
	State   string   `json:"state"`
	BatchID string   `json:"batch_id"`
	Written []string `json:"written"`
	Message string   `json:"message"`
}

func parseSync(t *testing.T, out string) []syncJSON {
	t.Helper()
	var ls []syncJSON
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l syncJSON
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("sync --json line %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

func countStates(ls []syncJSON) map[string]int {
	out := map[string]int{}
	for _, l := range ls {
		out[l.State]++
	}
	return out
}

// TestSyncTwiceUploadsNothing: two syncs of a folder of 50 recordings; the
// first sends them all and writes every transcript (--wait); the second
// uploads 0 bytes and reports 50 skipped.
func TestSyncTwiceUploadsNothing(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	dir := recordingsDir(t, 50, 3000, 1)

	out, errOut, code := run(t, u.env, "sync", "--wait", "--json", "--output-format", "srt", dir)
	if code != 0 || countStates(parseSync(t, out))["written"] != 50 {
		t.Fatalf("first sync: exit %d, %v\n%s", code, countStates(parseSync(t, out)), errOut)
	}
	if n := len(f.jobsByContent()); n != 50 {
		t.Fatalf("the fake has jobs of %d recordings, want 50", n)
	}
	before := f.uploaded()
	submits := len(f.requests())

	out, errOut, code = run(t, u.env, "sync", "--json", "--output-format", "srt", dir)
	lines := parseSync(t, out)
	if code != 0 || len(lines) != 50 || countStates(lines)["skipped"] != 50 {
		t.Fatalf("second sync: exit %d, %d lines %v\n%s", code, len(lines), countStates(lines), errOut)
	}
	if got := f.uploaded() - before; got != 0 || len(f.requests()) != submits {
		t.Fatalf("the second sync uploaded %d bytes in %d requests", got, len(f.requests())-submits)
	}
	if !strings.Contains(errOut, "sync: 50 files: 50 skipped") {
		t.Errorf("summary: %q", errOut)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l.Message, "done as batch ") || l.BatchID == "" {
			t.Errorf("%s: %q", l.File, l.Message)
		}
	}
}

// TestSyncRecognisesRecordings: a recording renamed and moved into a
// subfolder is not sent again (its transcript is written where it is now);
// one changed in its first or its last MiB is a new recording; one changed
// only in the middle is not seen (the documented blind spot).
func TestSyncRecognisesRecordings(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	const mib = 1 << 20
	dir := recordingsDir(t, 4, 3*mib, 100)
	if out, errOut, code := run(t, u.env, "sync", "--wait", "-r", dir); code != 0 {
		t.Fatalf("first sync: exit %d\n%s%s", code, out, errOut)
	}
	moved := filepath.Join(dir, "2026", "renamed.wav")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(filepath.Join(dir, "rec-00.wav"), moved); err != nil {
		t.Fatal(err)
	}
	flip := func(name string, off int64) {
		p := filepath.Join(dir, name)
		fh, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte{0}
		fh.ReadAt(b, off)
		b[0] ^= 0xff
		fh.WriteAt(b, off)
		fh.Close()
		old := time.Now().Add(-time.Minute)
		os.Chtimes(p, old, old)
	}
	flip("rec-01.wav", mib-1)   // the first MiB
	flip("rec-02.wav", 3*mib-1) // the last MiB
	flip("rec-03.wav", 3*mib/2) // the middle

	out, errOut, code := run(t, u.env, "sync", "--wait", "-r", "--json", dir)
	if code != 0 {
		t.Fatalf("second sync: exit %d\n%s%s", code, out, errOut)
	}
	got := map[string][]string{}
	for _, l := range parseSync(t, out) {
		got[filepath.Base(l.File)] = append(got[filepath.Base(l.File)], l.State)
	}
	want := map[string][]string{
		"renamed.wav": {"written"},
		"rec-01.wav":  {"submitted", "written"},
		"rec-02.wav":  {"submitted", "written"},
		"rec-03.wav":  {"skipped"},
	}
	for name, w := range want {
		if strings.Join(got[name], ",") != strings.Join(w, ",") {
			t.Errorf("%s: %v, want %v", name, got[name], w)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "2026", "renamed.json")); err != nil {
		t.Errorf("no transcript next to the moved recording: %v", err)
	}
	jobs := f.jobsByContent()
	if len(jobs) != 6 {
		t.Errorf("jobs of %d contents, want 6 (4, then the two changed at their ends)", len(jobs))
	}
	if jobs[fileSHA(t, moved)] != 1 || jobs[fileSHA(t, filepath.Join(dir, "rec-01.wav"))] != 1 {
		t.Errorf("jobs by content: %v", jobs)
	}
}

// TestSyncKilledThenRerun: `kill -9` in the middle of a sync of 20 files at
// --concurrency 4 (8 sent, 4 uploads cut short mid-body by a fake that
// stops reading them, 8 not begun), then a rerun: every file has exactly
// one job at the fake, counted by content, and every transcript is written.
func TestSyncKilledThenRerun(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-faults", "9-12:stall")
	u := newUser(t, f)
	dir := recordingsDir(t, 20, 256<<10, 200)

	cmd := exec.Command(fwbatch, "sync", "--concurrency", "4", dir)
	cmd.Env = u.env
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until 8 jobs are recorded and the next 4 uploads hang at the
	// fake: then nothing is between the server and the history.
	deadline := time.Now().Add(wait)
	for {
		submitted := 0
		if raw, err := os.ReadFile(u.historyPath()); err == nil {
			submitted = bytes.Count(raw, []byte(`"kind":"submitted"`))
		}
		if submitted == 8 && f.submits() == 12 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%d submitted in the history, %d uploads at the fake\n%s", submitted, f.submits(), stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	out, errOut, code := run(t, u.env, "sync", "--wait", "--concurrency", "4", "--json", dir)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errOut)
	}
	states := countStates(parseSync(t, out))
	if states["submitted"] != 12 || states["written"] != 20 {
		t.Errorf("rerun: %v, want 12 submitted and 20 written", states)
	}
	jobs := f.jobsByContent()
	entries, _ := os.ReadDir(dir)
	recordings := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".wav") {
			continue
		}
		recordings++
		p := filepath.Join(dir, e.Name())
		if n := jobs[fileSHA(t, p)]; n != 1 {
			t.Errorf("%s: %d jobs at the fake, want exactly 1", e.Name(), n)
		}
		if _, err := os.Stat(strings.TrimSuffix(p, ".wav") + ".json"); err != nil {
			t.Errorf("%s: no transcript: %v", e.Name(), err)
		}
	}
	if recordings != 20 || len(jobs) != 20 {
		t.Errorf("%d recordings, jobs of %d contents", recordings, len(jobs))
	}
}

// TestSyncWatch: `sync --watch` on a drop folder into which a recording is
// written slowly (1 KiB every 200 ms for 5 s) sends it once, after it
// stopped growing, with its full bytes, and writes its transcript. SIGHUP
// does not stop it; SIGTERM does, cleanly (exit 0).
func TestSyncWatch(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	u := newUser(t, f)
	drop := filepath.Join(t.TempDir(), "drop")
	os.MkdirAll(drop, 0o755)
	cmd := exec.Command(fwbatch, "sync", "--watch", "--settle", "1s", "--output-format", "txt", drop)
	cmd.Env = u.env
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	path := filepath.Join(drop, "call.wav")
	chunk := make([]byte, 1024)
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for i := range 25 {
		for j := range chunk {
			chunk[j] = byte(i*31 + j)
		}
		if i == 0 {
			copy(chunk, "RIFF\x24\x00\x00\x00WAVEfmt ")
		}
		fh.Write(chunk)
		h.Write(chunk)
		if got := f.jobsByContent(); len(got) > 0 {
			t.Fatalf("sent while still being written (after %d KiB): %v\n%s", i+1, got, stdout.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	fh.Close()
	stopped := time.Now()
	full := hex.EncodeToString(h.Sum(nil))

	// The transcript is written before its line is printed: wait for both.
	transcript := filepath.Join(drop, "call.txt")
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(transcript); err == nil && strings.Contains(stdout.String(), "call.wav written: call.txt") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no transcript after %v\nstdout:\n%s\nstderr:\n%s", wait, stdout.String(), stderr.String())
		}
	}
	var sent []time.Duration
	for _, r := range f.requests() {
		if r.Kind == "submit" {
			if r.FileSHA256 != full || r.FileSize != 25*1024 {
				t.Errorf("the fake got %d bytes (sha %s…), want the whole file", r.FileSize, r.FileSHA256[:12])
			}
			sent = append(sent, time.Since(stopped))
		}
	}
	if len(sent) != 1 {
		t.Fatalf("%d uploads, want 1\n%s", len(sent), stdout.String())
	}
	if !strings.Contains(stdout.String(), "call.wav waiting: ") {
		t.Errorf("stdout:\n%s", stdout.String())
	}

	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	if !alive(cmd.Process.Pid) {
		t.Fatalf("SIGHUP stopped the watch\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sync: 1 file: 1 written") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTwoSyncsOneHistory: two sync processes started together on one
// folder, each finding every file without a job: each recording reaches
// the fake once between them.
func TestTwoSyncsOneHistory(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-read-rate", "2000000")
	u := newUser(t, f)
	dir := recordingsDir(t, 16, 100<<10, 300)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(fwbatch, "sync", "--json", "--concurrency", "3", dir)
			cmd.Env = u.env
			var out bytes.Buffer
			cmd.Stdout = &out
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); ok {
				codes[i] = ee.ExitCode()
			}
			outs[i] = out.String()
		})
	}
	wg.Wait()
	sent := 0
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("sync %d: exit %d\n%s", i, codes[i], outs[i])
		}
		sent += countStates(parseSync(t, outs[i]))["submitted"]
	}
	jobs := f.jobsByContent()
	for sha, n := range jobs {
		if n != 1 {
			t.Errorf("recording %s…: %d jobs", sha[:12], n)
		}
	}
	if len(jobs) != 16 || sent != 16 {
		t.Errorf("jobs of %d recordings, %d submitted lines; want 16 and 16", len(jobs), sent)
	}
}

// TestSyncAndUIOneHistory: the UI's form has counted its files as never
// sent; a sync of the same folder then starts sending them (slowly); the
// user submits from the form: nothing is sent twice, whether the form saw
// the sync's uploads (and skipped them) or the upload was stopped at the
// last moment, under the history's lock.
func TestSyncAndUIOneHistory(t *testing.T) {
	t.Parallel()
	tmuxtest.Require(t)
	f := startFake(t, "-read-rate", "300000")
	u := newUser(t, f)
	dir := recordingsDir(t, 4, 1<<20, 400)
	s := tmuxtest.Start(t, 100, 30, u.env, u.ui(dir)...)
	s.WaitText(wait, "rec-03.wav")
	s.Keys("a")
	s.WaitText(wait, "4 marked")
	s.Keys("Enter")
	s.WaitText(wait, "none of the 4 has a job with these options yet")

	cmd := exec.Command(fwbatch, "sync", "--concurrency", "4", dir)
	cmd.Env = u.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
		raw, _ := os.ReadFile(u.historyPath())
		if bytes.Count(raw, []byte(`"kind":"started"`)) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync did not start its 4 uploads\n%s", out.String())
		}
	}
	s.Keys("C-s")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sync: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		if t.Failed() { // what reached the fake, and the history, to tell why
			for _, r := range f.requests() {
				t.Logf("request %d: %s %s %d batch %s file %.12s", r.N, r.Kind, r.Path, r.Status, r.BatchID, r.FileSHA256)
			}
			raw, _ := os.ReadFile(u.historyPath())
			t.Logf("history:\n%s\nscreen:\n%s", raw, s.Screen())
		}
	})
	// The UI has had its say: a refusal on the form, or skipped uploads.
	s.WaitFor(wait, "the form or the uploads to answer", func(scr string) bool {
		return strings.Contains(scr, "all 4 already submitted") || strings.Contains(scr, "not sent") || strings.Contains(scr, "History")
	})
	time.Sleep(500 * time.Millisecond) // anything the UI would send would have reached the fake
	jobs := f.jobsByContent()
	if len(jobs) != 4 {
		t.Errorf("jobs of %d recordings, want 4\n%s\n%s", len(jobs), out.String(), s.Screen())
	}
	for sha, n := range jobs {
		if n != 1 {
			t.Errorf("recording %s…: %d jobs\n%s", sha[:12], n, s.Screen())
		}
	}
	// Status checks (the sync's and the UI's) are not counted: uploads are.
	if n := f.submits(); n != 4 {
		t.Errorf("%d uploads reached the fake, want 4", n)
	}
}
