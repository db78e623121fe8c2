package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// checkRequest checks one submission as the fake received it: method,
// path, endpoint_id, the raw key, the form fields (exactly), the file's
// bytes, and a Content-Length without chunked encoding.
func checkRequest(t *testing.T, req fakeapi.Request, path, endpoint string, fields map[string]string, file string) {
	t.Helper()
	if req.Kind != "submit" || req.Method != "POST" || req.Path != path {
		t.Errorf("request %s %s (%s), want POST %s", req.Method, req.Path, req.Kind, path)
	}
	if req.RawQuery != "endpoint_id="+endpoint {
		t.Errorf("query %q, want endpoint_id=%s", req.RawQuery, endpoint)
	}
	if got := req.Header.Values("Authorization"); len(got) != 1 || got[0] != canary {
		t.Errorf("Authorization is not the raw key (%d values)", len(got))
	}
	if !maps.Equal(req.Fields, fields) {
		t.Errorf("fields %v, want %v", req.Fields, fields)
	}
	if req.FieldOrder[0] != "model" {
		t.Errorf("field order %v: model should come first", req.FieldOrder)
	}
	fi, _ := os.Stat(file)
	if req.FileParts != 1 || req.FileName != filepath.Base(file) || req.FileSize != fi.Size() || req.FileSHA256 != sha256File(t, file) {
		t.Errorf("file part %q, %d bytes, sha256 %s; want %q, %d bytes, %s", req.FileName, req.FileSize, req.FileSHA256, filepath.Base(file), fi.Size(), sha256File(t, file))
	}
	if req.ContentLength <= 0 || req.ContentLength != req.BodyRead || len(req.TransferEncoding) != 0 {
		t.Errorf("Content-Length %d, body %d bytes, Transfer-Encoding %v: want a Content-Length and no chunking",
			req.ContentLength, req.BodyRead, req.TransferEncoding)
	}
	if req.Status != 200 {
		t.Errorf("the fake answered %d: %s", req.Status, req.Error)
	}
}

var submittedLine = regexp.MustCompile(`^(\S+) submitted batch_id=(\S+) account_id=fake-account endpoint_id=(\S+)$`)

// TestSubmitConformance submits for every task × endpoint × response
// format, and once with every advanced field set, and checks what the fake
// received and what the history holds.
func TestSubmitConformance(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	file := h.audio("hello.flac", "talk.flac")
	type tc struct {
		args   []string
		task   string
		path   string
		ep     string
		fields map[string]string
	}
	var cases []tc
	for _, task := range submit.Tasks {
		for _, ep := range submit.Endpoints {
			for _, format := range submit.ResponseFormats {
				cases = append(cases, tc{
					args: []string{"--task", task, "--endpoint", ep, "--response-format", format},
					task: task, path: "/" + submit.PathFor(task), ep: ep,
					fields: map[string]string{"model": submit.ModelFor(ep), "response_format": format},
				})
			}
		}
	}
	cases = append(cases, tc{
		args: []string{"--task", "transcribe", "--endpoint", "audio-turbo", "--model", "whisper-v3-turbo",
			"--response-format", "verbose_json", "--diarize", "--language", "en", "--prompt", "Ada Lovelace, Charles Babbage",
			"--temperature", "0,0.2,0.4", "--timestamp-granularities", "word,segment", "--min-speakers", "1", "--max-speakers", "3",
			"--vad-model", "whisperx-pyannet", "--alignment-model", "tdnn_ffn", "--preprocessing", "soft_dynamic"},
		task: "transcribe", path: "/v1/audio/transcriptions", ep: "audio-turbo",
		fields: map[string]string{
			"model": "whisper-v3-turbo", "response_format": "verbose_json", "diarize": "true", "language": "en",
			"prompt": "Ada Lovelace, Charles Babbage", "temperature": "0,0.2,0.4", "timestamp_granularities": "word,segment",
			"min_speakers": "1", "max_speakers": "3", "vad_model": "whisperx-pyannet", "alignment_model": "tdnn_ffn",
			"preprocessing": "soft_dynamic",
		},
	}, tc{
		// Flags after the file, and the translation's advanced fields.
		args: []string{"--task", "translate", "--language", "de", "--prompt", "Grüße", "--temperature", "0.3", "--vad-model", "silero",
			"--alignment-model", "mms_fa", "--preprocessing", "bass_dynamic", "--response-format", "verbose_json", "--timestamp-granularities", "segment"},
		task: "translate", path: "/v1/audio/translations", ep: "audio-prod",
		fields: map[string]string{
			"model": "whisper-v3", "response_format": "verbose_json", "language": "de", "prompt": "Grüße", "temperature": "0.3",
			"timestamp_granularities": "segment", "vad_model": "silero", "alignment_model": "mms_fa", "preprocessing": "bass_dynamic",
		},
	})
	for i, c := range cases {
		name := strings.Join(c.args, " ")
		args := append([]string{"submit"}, c.args...)
		if i == len(cases)-1 {
			args = append([]string{"submit", file}, c.args...)
		} else {
			args = append(args, file)
		}
		res := h.run(args...)
		if res.code != 0 || res.errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", name, res.code, res.errOut)
		}
		m := submittedLine.FindStringSubmatch(oneLine(t, name, res.out))
		if m == nil || m[1] != file || m[3] != c.ep {
			t.Fatalf("%s: stdout %q", name, res.out)
		}
		reqs := h.fake.Requests()
		if len(reqs) != i+1 {
			t.Fatalf("%s: the fake saw %d requests in all, want %d", name, len(reqs), i+1)
		}
		req := reqs[i]
		checkRequest(t, req, c.path, c.ep, c.fields, file)
		if req.BatchID != m[2] {
			t.Errorf("%s: printed batch id %s, the fake made %s", name, m[2], req.BatchID)
		}
		evs := h.events()
		started, outcome := evs[len(evs)-2], evs[len(evs)-1]
		wantOptions := maps.Clone(c.fields)
		delete(wantOptions, "model")
		if started.Kind != store.KindStarted || started.File != file || started.Task != c.task || started.Endpoint != c.ep ||
			started.Model != c.fields["model"] || !maps.Equal(started.Options, wantOptions) {
			t.Errorf("%s: started event %+v", name, started)
		}
		if outcome.Kind != store.KindSubmitted || outcome.ID != started.ID || outcome.BatchID != req.BatchID ||
			outcome.AccountID != "fake-account" || outcome.EndpointID != c.ep {
			t.Errorf("%s: outcome event %+v", name, outcome)
		}
	}
}

// TestSubmitJSON checks the --json line.
func TestSubmitJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "2:401")})
	good := h.audio("hello.mp3", "a.mp3")
	bad := h.audio("hello.ogg", "b.ogg")
	res := h.run("submit", "--json", "--concurrency", "1", good, bad)
	if res.code != 1 {
		t.Errorf("exit %d, want 1", res.code)
	}
	var got []map[string]any
	for _, l := range lines(t, res.out) {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if ks := slices.Sorted(maps.Keys(v)); !slices.Equal(ks, []string{"account_id", "batch_id", "endpoint_id", "error", "file", "http_status", "id", "outcome"}) {
			t.Errorf("keys %v", ks)
		}
		got = append(got, v)
	}
	if len(got) != 2 {
		t.Fatalf("%d lines", len(got))
	}
	subs := h.subs()
	if got[0]["file"] != good || got[0]["outcome"] != "submitted" || got[0]["batch_id"] != subs[0].BatchID ||
		got[0]["account_id"] != "fake-account" || got[0]["endpoint_id"] != "audio-prod" || got[0]["id"] != subs[0].ID ||
		got[0]["error"] != "" || got[0]["http_status"] != 0.0 {
		t.Errorf("first line %v", got[0])
	}
	if got[1]["file"] != bad || got[1]["outcome"] != "failed" || got[1]["batch_id"] != "" || got[1]["id"] != subs[1].ID ||
		got[1]["http_status"] != 401.0 || !strings.Contains(got[1]["error"].(string), "check FIREWORKS_API_KEY") {
		t.Errorf("second line %v", got[1])
	}
	oneLine(t, "stderr", res.errOut)
}

func mustFaults(t *testing.T, spec string) fakeapi.Faults {
	t.Helper()
	f, err := fakeapi.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSubmitFaults injects each of the fake's faults and checks the exit
// code, the one-line message (HTTP status and next step), the history's
// event, and that retries happen exactly where the API doc allows them.
func TestSubmitFaults(t *testing.T) {
	// Not parallel: it reads the retry waits of every client (takeSleeps).
	const dup = "outcome unknown: a batch job may have been created; resubmitting may create a duplicate"
	tests := []struct {
		name     string
		faults   string
		big      bool
		code     int
		kind     store.Kind
		status   int      // http_status in the history
		msg      []string // in the stderr line (and the stdout line and the history)
		requests int
		waits    []time.Duration // retry waits, when they are exact
		jobs     int
	}{
		{name: "401", faults: "1:401", code: 1, kind: store.KindFailed, status: 401,
			msg: []string{"HTTP 401: invalid API key", "— check FIREWORKS_API_KEY"}, requests: 1},
		{name: "403", faults: "1:403", code: 1, kind: store.KindFailed, status: 403,
			msg: []string{"HTTP 403", "— check FIREWORKS_API_KEY and the account's permissions"}, requests: 1},
		{name: "413 before the body", faults: "1:413", big: true, code: 1, kind: store.KindFailed, status: 413,
			msg: []string{"HTTP 413", "— the server refused the size (HTTP 413 from 127.0.0.1:"}, requests: 1},
		{name: "422", faults: "1:422", code: 1, kind: store.KindFailed, status: 422,
			msg: []string{"HTTP 422", "— the server refused the options; fix them and submit again"}, requests: 1},
		{name: "429 with Retry-After seconds, then accepted", faults: "1:429=2", code: 0, kind: store.KindSubmitted,
			requests: 2, waits: []time.Duration{2 * time.Second}, jobs: 1},
		{name: "429 with an HTTP date, then accepted", faults: "1:429-date=30", code: 0, kind: store.KindSubmitted, requests: 2, jobs: 1},
		{name: "429 every time", faults: "*:429=2", code: 1, kind: store.KindFailed, status: 429,
			msg: []string{"HTTP 429", "(gave up after 3 tries)", "— rate limited; try again in 2 s"}, requests: 3,
			waits: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "500", faults: "1:500", code: 1, kind: store.KindUnknown, status: 500, msg: []string{"HTTP 500", dup}, requests: 1},
		{name: "502 HTML page", faults: "1:502", code: 1, kind: store.KindUnknown, status: 502,
			msg: []string{"HTTP 502: 502 Bad Gateway nginx", dup}, requests: 1},
		{name: "503 without Retry-After", faults: "1:503", code: 1, kind: store.KindUnknown, status: 503, msg: []string{"HTTP 503", dup}, requests: 1},
		{name: "503 with Retry-After, then accepted", faults: "1:503-retry=3", code: 0, kind: store.KindSubmitted,
			requests: 2, waits: []time.Duration{3 * time.Second}, jobs: 1},
		{name: "503 with Retry-After every time", faults: "*:503-retry=1", code: 1, kind: store.KindFailed, status: 503,
			msg: []string{"HTTP 503", "(gave up after 3 tries)", "— server error; try again later"}, requests: 3,
			waits: []time.Duration{time.Second, time.Second}},
		{name: "200 with invalid JSON", faults: "1:bad-json", code: 1, kind: store.KindUnknown, status: 200,
			msg: []string{"HTTP 200: reply is not valid JSON", dup}, requests: 1, jobs: 1},
		{name: "200 without batch_id", faults: "1:no-batch-id", code: 1, kind: store.KindUnknown, status: 200,
			msg: []string{"HTTP 200: reply has no batch_id", dup}, requests: 1, jobs: 1},
		{name: "reset mid-upload, then accepted", faults: "1:reset", big: true, code: 0, kind: store.KindSubmitted, requests: 2, jobs: 1},
		{name: "reset mid-upload every time", faults: "*:reset", big: true, code: 1, kind: store.KindFailed,
			msg: []string{"network error uploading", "(gave up after 3 tries)", "— nothing was submitted; check the network and try again"}, requests: 3},
		{name: "created, then the connection closed", faults: "1:created-close", code: 1, kind: store.KindUnknown,
			msg: []string{"network error waiting for the reply", dup}, requests: 1, jobs: 1},
		{name: "headers never come", faults: "1:hang", code: 1, kind: store.KindUnknown,
			msg: []string{"network error waiting for the reply", "timed out", dup}, requests: 1},
		{name: "reply stalls", faults: "1:stall-reply", code: 1, kind: store.KindUnknown, status: 200,
			msg: []string{"HTTP 200: reply stalled (no byte for 1 s)", dup}, requests: 1, jobs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, tt.faults), TrickleEvery: 50 * time.Millisecond})
			file := h.audio("hello.wav", "talk.wav")
			if tt.big {
				file = h.bigWav("talk.wav", 32<<20)
			}
			res := h.run("submit", file)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", res.code, tt.code, res.errOut)
			}
			out := oneLine(t, "stdout", res.out)
			if tt.kind == store.KindSubmitted {
				if res.errOut != "" || !submittedLine.MatchString(out) {
					t.Errorf("stdout %q, stderr %q", out, res.errOut)
				}
			} else {
				errLine := oneLine(t, "stderr", res.errOut)
				if want := "fwbatch: " + file + ": "; !strings.HasPrefix(errLine, want) {
					t.Errorf("stderr %q does not start with %q", errLine, want)
				}
				contains(t, "stderr", errLine, tt.msg...)
				if want := file + " " + string(tt.kind) + ": "; !strings.HasPrefix(out, want) {
					t.Errorf("stdout %q does not start with %q", out, want)
				}
				contains(t, "stdout", out, tt.msg...)
			}
			sub := h.only()
			if got := kinds(h.events(), sub.ID); !slices.Equal(got, []store.Kind{store.KindStarted, tt.kind}) {
				t.Errorf("history %v, want started, %s", got, tt.kind)
			}
			if sub.HTTPStatus != tt.status {
				t.Errorf("history http_status %d, want %d", sub.HTTPStatus, tt.status)
			}
			contains(t, "history message", sub.Message, tt.msg...)
			if n := h.fake.SubmitCount(); n != tt.requests {
				t.Errorf("the fake saw %d submits, want %d", n, tt.requests)
			}
			waits := takeSleeps()
			if len(waits) != tt.requests-1 {
				t.Errorf("%d waits between tries, want %d", len(waits), tt.requests-1)
			}
			if tt.waits != nil && !slices.Equal(waits, tt.waits) {
				t.Errorf("waits %v, want %v (Retry-After)", waits, tt.waits)
			}
			if strings.Contains(tt.name, "HTTP date") && (len(waits) != 1 || waits[0] < 28*time.Second || waits[0] > 30*time.Second) {
				t.Errorf("waits %v, want about 30 s from the date", waits)
			}
			if n := len(h.fake.Jobs()); n != tt.jobs {
				t.Errorf("the fake made %d jobs, want %d", n, tt.jobs)
			}
			if tt.kind == store.KindSubmitted && (sub.BatchID != h.fake.Jobs()[0].BatchID) {
				t.Errorf("recorded batch id %s, the fake's job %s", sub.BatchID, h.fake.Jobs()[0].BatchID)
			}
		})
	}
}

// TestSubmitWrongKey: a server that echoes the refused key in its message
// never gets it shown.
func TestSubmitWrongKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{APIKey: "the-right-key"})
	file := h.audio("hello.wav", "talk.wav")
	res := h.run("submit", file)
	errLine := oneLine(t, "stderr", res.errOut)
	if res.code != 1 {
		t.Errorf("exit %d", res.code)
	}
	contains(t, "stderr", errLine, "HTTP 401", "[redacted]", "check FIREWORKS_API_KEY")
	if sub := h.only(); sub.Outcome != store.OutcomeFailed || !strings.Contains(sub.Message, "[redacted]") {
		t.Errorf("history: %+v", sub)
	}
	// The debug log tells what happened, without the key.
	data, _ := os.ReadFile(h.debug)
	contains(t, "debug log", string(data), "submit: 1 files", "started id=", "failed id=", "http_status=401", "[redacted]")
}

// TestSubmitBadFiles: a clear error naming the file, no request, and no
// history event, for every kind of file the API cannot take.
func TestSubmitBadFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	dir := filepath.Join(h.dir, "bad")
	os.MkdirAll(dir, 0o755)
	p := func(name string) string { return filepath.Join(dir, name) }

	emptyDir := p("no-audio")
	os.MkdirAll(emptyDir, 0o755)
	os.WriteFile(filepath.Join(emptyDir, "notes.txt"), []byte("x"), 0o644)
	fifo := p("pipe.wav")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := p("sock.wav")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	os.Symlink(p("loop-b.wav"), p("loop-a.wav"))
	os.Symlink(p("loop-a.wav"), p("loop-b.wav"))
	os.Symlink(p("nowhere.wav"), p("broken.wav"))
	os.WriteFile(p("empty.wav"), nil, 0o644)
	over := h.bigWav("over.wav", submit.MaxFileSize+1)
	notAudio := h.audio("not-audio.txt", "notes.wav")

	tests := []struct {
		name, path string
		msg        string
	}{
		{"missing", p("missing.flac"), "no such file; check the path"},
		{"folder without audio", emptyDir, "a folder without audio files"},
		{"FIFO", fifo, "is a named pipe (FIFO), not a regular file"},
		{"device", "/dev/null", "is a device, not a regular file"},
		{"socket", sock, "is a socket, not a regular file"},
		{"symlink loop", p("loop-a.wav"), "symlink loop"},
		{"broken symlink", p("broken.wav"), "broken symlink"},
		{"empty", p("empty.wav"), "empty file; nothing to upload"},
		{"over 1 GB", over, "is 953.7 MiB (1000000001 bytes); the API takes at most 1 GB (1000000000 bytes) per file"},
		{"not audio", notAudio, "does not look like audio or video"},
	}
	for _, tt := range tests {
		res := h.run("submit", tt.path)
		if res.code != 1 {
			t.Errorf("%s: exit %d, want 1", tt.name, res.code)
		}
		errLine := oneLine(t, tt.name+" stderr", res.errOut)
		if want := "fwbatch: " + tt.path + ": "; !strings.HasPrefix(errLine, want) {
			t.Errorf("%s: stderr %q does not name the file", tt.name, errLine)
		}
		contains(t, tt.name+" stderr", errLine, tt.msg)
		if out := oneLine(t, tt.name+" stdout", res.out); !strings.HasPrefix(out, tt.path+" failed: ") {
			t.Errorf("%s: stdout %q", tt.name, out)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want none", n)
	}
	if evs := h.events(); len(evs) != 0 {
		t.Errorf("the history holds %d events, want none", len(evs))
	}
	if _, err := os.Stat(h.hist); err == nil {
		t.Errorf("a history file was made")
	}

	// --force sends what does not look like audio.
	res := h.run("submit", "--force", notAudio)
	if res.code != 0 || h.fake.SubmitCount() != 1 {
		t.Errorf("--force: exit %d, %d submits, stderr %q", res.code, h.fake.SubmitCount(), res.errOut)
	}
}

// TestSubmitUsage: usage and setup errors exit 2 with one line, before any
// request or history event.
func TestSubmitUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	file := h.audio("hello.wav", "talk.wav")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		hist string // history file content
		msg  []string
	}{
		{name: "no files", args: []string{"submit"}, msg: []string{"give the audio files or folders to submit"}},
		{name: "concurrency 0", args: []string{"submit", "--concurrency", "0", file}, msg: []string{"--concurrency 0: must be at least 1"}},
		{name: "unknown flag", args: []string{"submit", "--colour", file}, msg: []string{"unknown flag: --colour", "fwbatch submit --help"}},
		{name: "unknown flag before the command", args: []string{"--colour", "submit", file}, msg: []string{"unknown flag: --colour", "--help`"}},
		{name: "key as a short flag", args: []string{"submit", file, "-key", "xyz"}, msg: []string{"never taken as a flag", "FIREWORKS_API_KEY"}},
		{name: "key as a flag", args: []string{"submit", "--api-key=xyz", file}, msg: []string{"never taken as a flag", "FIREWORKS_API_KEY"}},
		{name: "diarize without verbose_json", args: []string{"submit", file, "--diarize"},
			msg: []string{"invalid options: --diarize (diarize): needs response_format verbose_json and word in timestamp_granularities"}},
		{name: "bad format", args: []string{"submit", "--response-format", "docx", file},
			msg: []string{"--response-format (response_format): \"docx\" is not a format"}},
		{name: "bad endpoint", args: []string{"submit", "--endpoint", "audio-fast", file}, msg: []string{"--endpoint (endpoint_id)"}},
		{name: "translate with speakers", args: []string{"submit", "--task", "translate", "--min-speakers", "2", file}, msg: []string{"--min-speakers (min_speakers)"}},
		{name: "no key", args: []string{"submit", file}, env: map[string]string{"FIREWORKS_API_KEY": ""},
			msg: []string{"no API key: set FIREWORKS_API_KEY", "--demo"}},
		{name: "bad base URL", args: []string{"submit", file}, env: map[string]string{"FIREWORKS_BATCH_BASE_URL": "ftp://example.com"},
			msg: []string{"base URL", "--base-url"}},
		{name: "history of a newer format", args: []string{"submit", file},
			hist: `{"v":2,"kind":"started","id":"x","time":"2026-01-01T00:00:00Z"}` + "\n", msg: []string{"nothing uploaded", h.hist}},
		{name: "history is a folder", args: []string{"submit", "--history", h.dir, file}, msg: []string{h.dir, "not a regular file"}},
	}
	for _, tt := range tests {
		saved := maps.Clone(h.env)
		maps.Copy(h.env, tt.env)
		os.Remove(h.hist)
		if tt.hist != "" {
			os.MkdirAll(filepath.Dir(h.hist), 0o700)
			os.WriteFile(h.hist, []byte(tt.hist), 0o600)
		}
		res := h.run(tt.args...)
		h.env = saved
		if res.code != 2 || res.out != "" {
			t.Errorf("%s: exit %d, stdout %q; want 2 and nothing", tt.name, res.code, res.out)
		}
		contains(t, tt.name, oneLine(t, tt.name, res.errOut), tt.msg...)
		if data, _ := os.ReadFile(h.hist); string(data) != tt.hist {
			t.Errorf("%s: the history changed: %q", tt.name, data)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want none", n)
	}
}

// TestSubmitFolder: a folder means the audio files directly inside it,
// any case of extension, not its subfolders; a file named twice goes once.
func TestSubmitFolder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	a := h.audio("hello.flac", "rec/a.flac")
	b := h.audio("hello.mp3", "rec/B.MP3")
	h.audio("hello.wav", "rec/sub/c.wav")
	h.audio("not-audio.txt", "rec/notes.txt")
	dir := filepath.Dir(a)
	res := h.run("submit", dir, a)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.errOut)
	}
	var files []string
	for _, l := range lines(t, res.out) {
		m := submittedLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		files = append(files, m[1])
	}
	slices.Sort(files)
	if want := []string{b, a}; !slices.Equal(files, want) {
		t.Errorf("submitted %v, want %v", files, want)
	}
	if n := h.fake.SubmitCount(); n != 2 {
		t.Errorf("%d submits", n)
	}
}

// TestSubmitConcurrency: --concurrency uploads run at once, never more.
func TestSubmitConcurrency(t *testing.T) {
	t.Parallel()
	var cur, peak atomic.Int32
	h := newWrappedHarness(t, fakeapi.Config{Latency: 50 * time.Millisecond}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := cur.Add(1)
			defer cur.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			next.ServeHTTP(w, r)
		})
	})
	var files []string
	for i := range 8 {
		files = append(files, h.audio("hello.ogg", fmt.Sprintf("f%d.ogg", i)))
	}
	for _, c := range []int{1, 3} {
		peak.Store(0)
		res := h.run(append([]string{"submit", "--concurrency", fmt.Sprint(c)}, files...)...)
		if res.code != 0 || len(lines(t, res.out)) != 8 {
			t.Fatalf("--concurrency %d: exit %d\n%s%s", c, res.code, res.out, res.errOut)
		}
		if p := peak.Load(); int(p) != c {
			t.Errorf("--concurrency %d: %d requests at once", c, p)
		}
	}
}
