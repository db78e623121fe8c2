package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// submitted submits files and returns their submissions, in order.
func (h *harness) submitted(args ...string) []*store.Submission {
	h.t.Helper()
	res := h.run(append([]string{"submit", "--concurrency", "1"}, args...)...)
	if res.code != 0 {
		h.t.Fatalf("submit: exit %d: %s", res.code, res.errOut)
	}
	return h.subs()
}

func statusEvents(evs []store.Event, id string) []store.Event {
	var out []store.Event
	for _, ev := range evs {
		if ev.ID == id && ev.Kind == store.KindStatus {
			out = append(out, ev)
		}
	}
	return out
}

// TestStatusWait follows a job from processing to completed, printing each
// change once, recording each new status, and saving the result the first
// time it is seen.
func TestStatusWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Polls: 2})
	file := h.audio("hello.flac", "talk.flac")
	sub := h.submitted("--response-format", "srt", file)[0]
	res := h.run("status", "--wait", sub.BatchID)
	if res.code != 0 || res.errOut != "" {
		t.Fatalf("exit %d, stderr %q", res.code, res.errOut)
	}
	saved := filepath.Join(filepath.Dir(h.hist), "results", sub.ID+".srt")
	want := []string{
		"talk.flac processing batch_id=" + sub.BatchID,
		"talk.flac completed batch_id=" + sub.BatchID + " result=" + saved,
	}
	if got := lines(t, res.out); !slices.Equal(got, want) {
		t.Errorf("stdout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := h.fake.StatusCount(); n != 3 {
		t.Errorf("the fake saw %d status requests, want 3", n)
	}
	evs := statusEvents(h.events(), sub.ID)
	if len(evs) != 2 || evs[0].Status != "processing" || evs[0].ResultPath != "" || evs[1].Status != "completed" || evs[1].ResultPath != saved {
		t.Errorf("status events %+v", evs)
	}
	job, _ := h.fake.Job(sub.BatchID)
	if data, err := os.ReadFile(saved); err != nil || string(data) != job.Body {
		t.Errorf("saved result %q (%v), want the job's body", data, err)
	}

	// Checked again: nothing new to record, nothing fetched twice.
	res = h.run("status", sub.ID)
	if res.code != 0 || oneLine(t, "stdout", res.out) != want[1] {
		t.Errorf("again: exit %d, stdout %q", res.code, res.out)
	}
	if n := len(statusEvents(h.events(), sub.ID)); n != 2 {
		t.Errorf("%d status events after checking again, want 2", n)
	}
	// No IDs: nothing is pending any more.
	res = h.run("status")
	if res.code != 0 || res.out != "" || !strings.Contains(oneLine(t, "stderr", res.errOut), "no pending jobs") {
		t.Errorf("no pending: exit %d, %q %q", res.code, res.out, res.errOut)
	}
	if data, _ := os.ReadFile(h.debug); !strings.Contains(string(data), "status "+sub.BatchID) {
		t.Errorf("the debug log says nothing of the checks:\n%s", data)
	}
}

// TestStatusPending: without IDs, every pending job is checked once; a
// still-processing job is not a failure.
func TestStatusPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Polls: 5})
	subs := h.submitted(h.audio("hello.wav", "a.wav"), h.audio("hello.mp3", "b.mp3"))
	res := h.run("status", "--json")
	if res.code != 0 || res.errOut != "" {
		t.Fatalf("exit %d, stderr %q", res.code, res.errOut)
	}
	got := lines(t, res.out)
	if len(got) != 2 {
		t.Fatalf("stdout:\n%s", res.out)
	}
	for i, l := range got {
		var v statusLine
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		want := statusLine{ID: subs[i].ID, File: subs[i].File, Outcome: "submitted", BatchID: subs[i].BatchID, AccountID: "fake-account", Status: "processing", State: "pending"}
		if v != want {
			t.Errorf("line %d: %+v, want %+v", i, v, want)
		}
	}
	if n := h.fake.StatusCount(); n != 2 {
		t.Errorf("%d status requests", n)
	}
}

// TestStatusErrors: unknown ids and submissions without a job are told
// apart without a request; a job that fails, or a refused check, exits 1
// with one line naming the file and batch id.
func TestStatusErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "2:401,3:job-failed=expired,s2:401,s3:500,s4:500,s5:500")})
	ok := h.submitted(h.audio("hello.wav", "ok.wav"))[0]
	h.run("submit", h.audio("hello.wav", "refused.wav"))
	refused := h.subs()[1]
	bad := h.submitted(h.audio("hello.ogg", "bad.ogg"))[2]

	res := h.run("status", "no-such-id")
	if res.code != 1 || res.out != "" {
		t.Errorf("unknown id: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "unknown id", res.errOut), "fwbatch: no-such-id: no such batch id or submission id in the history", "fwbatch list")

	res = h.run("status", refused.ID)
	if res.code != 1 || res.out != "" {
		t.Errorf("refused upload: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "refused upload", res.errOut), "refused.wav (id "+refused.ID+"): the upload failed, so there is no batch job: HTTP 401")
	if n := h.fake.StatusCount(); n != 0 {
		t.Errorf("%d status requests for ids without a job", n)
	}

	// s1: a job that failed on the server.
	res = h.run("status", bad.BatchID)
	if res.code != 1 || oneLine(t, "stdout", res.out) != "bad.ogg expired batch_id="+bad.BatchID+": the audio could not be decoded" {
		t.Errorf("failed job: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "failed job", res.errOut), "bad.ogg (batch "+bad.BatchID+"): the job ended with status \"expired\": the audio could not be decoded; submit the file again")
	if evs := statusEvents(h.events(), bad.ID); len(evs) != 1 || evs[0].Status != "expired" || evs[0].Message != "the audio could not be decoded" {
		t.Errorf("status events %+v", evs)
	}

	// s2: a refused check is not retried.
	res = h.run("status", ok.BatchID)
	if res.code != 1 || res.out != "" {
		t.Errorf("401: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "401", res.errOut), "ok.wav (batch "+ok.BatchID+"): HTTP 401", "— check FIREWORKS_API_KEY")
	if n := h.fake.StatusCount(); n != 2 {
		t.Errorf("%d status requests, want 2", n)
	}
	// s3-s5: 500s are retried (a GET is safe to repeat), three tries in all.
	res = h.run("status", "--wait", ok.BatchID)
	if res.code != 0 || oneLine(t, "stdout", res.out) != fmt.Sprintf("ok.wav completed batch_id=%s result=%s", ok.BatchID,
		filepath.Join(filepath.Dir(h.hist), "results", ok.ID+".json")) {
		t.Errorf("after 500s: exit %d, stdout %q, stderr %q", res.code, res.out, res.errOut)
	}
	contains(t, "stderr", oneLine(t, "500s", res.errOut), "HTTP 500", "(gave up after 3 tries)", "— server error; try again later")
	if n := h.fake.StatusCount(); n != 6 {
		t.Errorf("%d status requests, want 6", n)
	}
	if evs := statusEvents(h.events(), ok.ID); len(evs) != 1 {
		t.Errorf("status events %+v", evs)
	}
}

// TestResultFormats: for all five formats, `result` writes exactly the
// decoded body: fetched and saved the first time, from the saved copy after.
func TestResultFormats(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text", "srt", "verbose_json", "vtt"} {
		t.Run(format, func(t *testing.T) {
			h := newHarness(t, fakeapi.Config{})
			file := h.audio("hello.flac", "talk.flac")
			args := []string{"--response-format", format, file}
			if format == "verbose_json" {
				args = append(args, "--diarize", "--timestamp-granularities", "word")
			}
			sub := h.submitted(args...)[0]
			job, _ := h.fake.Job(sub.BatchID)
			ext := map[string]string{"json": ".json", "text": ".txt", "srt": ".srt", "verbose_json": ".json", "vtt": ".vtt"}[format]
			dst := filepath.Join(filepath.Dir(file), "talk"+ext)

			res := h.run("result", sub.BatchID)
			if res.code != 0 || res.errOut != "" || oneLine(t, "stdout", res.out) != dst {
				t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.out, res.errOut)
			}
			wantBody := job.Body
			if format == "json" || format == "verbose_json" {
				if !json.Valid([]byte(wantBody)) || strings.HasPrefix(wantBody, `"`) {
					t.Fatalf("the fake's body is not a JSON document: %q", wantBody)
				}
			}
			if format == "verbose_json" && !strings.Contains(wantBody, `"speaker_id":"SPEAKER_00"`) {
				t.Errorf("no speakers in a diarized result")
			}
			if data, _ := os.ReadFile(dst); string(data) != wantBody {
				t.Errorf("wrote %q, want %q", data, wantBody)
			}
			saved := filepath.Join(filepath.Dir(h.hist), "results", sub.ID+ext)
			if data, _ := os.ReadFile(saved); string(data) != wantBody {
				t.Errorf("saved copy %q", data)
			}
			if s := h.only(); s.ResultPath != saved || s.ServerStatus != "completed" {
				t.Errorf("history: %+v", s)
			}
			if n := h.fake.StatusCount(); n != 1 {
				t.Errorf("%d status requests", n)
			}

			// Never overwritten silently.
			os.WriteFile(dst, []byte("mine"), 0o644)
			res = h.run("result", sub.ID)
			if res.code != 1 || res.out != "" {
				t.Errorf("existing file: exit %d, stdout %q", res.code, res.out)
			}
			if got := oneLine(t, "stderr", res.errOut); got != "fwbatch: "+dst+" exists: not overwritten; pass --force to overwrite it, or -o FILE|DIR to write elsewhere" {
				t.Errorf("stderr %q", got)
			}
			if data, _ := os.ReadFile(dst); string(data) != "mine" {
				t.Errorf("the file was overwritten")
			}
			if res := h.run("result", "--force", sub.ID); res.code != 0 {
				t.Errorf("--force: exit %d %s", res.code, res.errOut)
			}
			if data, _ := os.ReadFile(dst); string(data) != wantBody {
				t.Errorf("--force wrote %q", data)
			}

			// From the saved copy: no key, no network.
			h.env["FIREWORKS_API_KEY"] = ""
			res = h.run("result", "-o", "-", sub.BatchID)
			if res.code != 0 || res.out != wantBody || res.errOut != "" {
				t.Errorf("-o -: exit %d, stdout %q, stderr %q", res.code, res.out, res.errOut)
			}
			outDir := filepath.Join(h.dir, "out")
			os.Mkdir(outDir, 0o755)
			res = h.run("result", "-o", outDir, sub.BatchID)
			if want := filepath.Join(outDir, "talk"+ext); res.code != 0 || oneLine(t, "stdout", res.out) != want {
				t.Errorf("-o DIR: exit %d, stdout %q", res.code, res.out)
			}
			named := filepath.Join(h.dir, "named.out")
			if res := h.run("result", "-o", named, sub.BatchID); res.code != 0 || oneLine(t, "stdout", res.out) != named {
				t.Errorf("-o FILE: exit %d, %q %q", res.code, res.out, res.errOut)
			}
			if data, _ := os.ReadFile(named); string(data) != wantBody {
				t.Errorf("-o FILE wrote %q", data)
			}
			if n := h.fake.StatusCount(); n != 1 {
				t.Errorf("%d status requests: the saved copy was not used", n)
			}
		})
	}
}

// TestResultErrors: not completed yet, unknown ids, no key to fetch, and
// -o FILE with several ids.
func TestResultErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Polls: 5})
	subs := h.submitted(h.audio("hello.wav", "a.wav"), h.audio("hello.mp3", "b.mp3"))
	a := subs[0]

	res := h.run("result", a.BatchID)
	if res.code != 1 || res.out != "" {
		t.Errorf("pending: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "stderr", oneLine(t, "pending", res.errOut), "a.wav (batch "+a.BatchID+"): not completed yet (status processing)", "fwbatch status --wait "+a.BatchID)
	if _, err := os.Stat(filepath.Join(h.dir, "audio", "a.json")); err == nil {
		t.Errorf("a pending job's result was written")
	}

	res = h.run("result", "nope", a.ID)
	if res.code != 1 || len(lines(t, res.errOut)) != 2 {
		t.Errorf("unknown + pending: exit %d, stderr %q", res.code, res.errOut)
	}
	res = h.run("result", "-o", filepath.Join(h.dir, "x.json"), a.ID, subs[1].ID)
	if res.code != 2 {
		t.Errorf("-o FILE with two ids: exit %d", res.code)
	}
	contains(t, "stderr", oneLine(t, "-o FILE", res.errOut), "with several IDs, -o must be a folder")
	// stdout is no folder, nor a file that "does not exist or is a file".
	res = h.run("result", "-o", "-", a.ID, subs[1].ID)
	if res.code != 2 || res.out != "" {
		t.Errorf("-o - with two ids: exit %d, stdout %q", res.code, res.out)
	}
	if line := oneLine(t, "-o -", res.errOut); !strings.Contains(line, "-o - (stdout) takes one id only") || strings.Contains(line, "is a file") {
		t.Errorf("-o - with two ids: %q", line)
	}
	if res := h.run("result"); res.code != 2 {
		t.Errorf("no ids: exit %d", res.code)
	}
	h.env["FIREWORKS_API_KEY"] = ""
	res = h.run("result", a.ID)
	if res.code != 2 {
		t.Errorf("no key: exit %d", res.code)
	}
	contains(t, "stderr", oneLine(t, "no key", res.errOut), "no saved result, and no API key to fetch it: set FIREWORKS_API_KEY")
}

// TestList prints the history newest first, leaves hidden entries out
// unless --all, and reports unreadable lines on stderr without failing.
func TestList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{Faults: mustFaults(t, "2:401")})
	res := h.run("list")
	if res.code != 0 || res.out != "" || !strings.Contains(oneLine(t, "empty", res.errOut), "no submissions in the history") {
		t.Errorf("empty: %+v", res)
	}
	h.run("submit", "--concurrency", "1", "--response-format", "srt", h.audio("hello.wav", "a.wav"), h.audio("hello.mp3", "b.mp3"))
	h.submitted("--task", "translate", h.audio("hello.ogg", "c.ogg"))
	subs := h.subs()
	st, _ := store.Open(h.hist)
	if err := st.Append(t.Context(), store.Event{Kind: store.KindHidden, ID: subs[2].ID}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(h.hist, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("this is not json\n")
	f.Close()
	h.run("submit", h.audio("hello.flac", "d.flac")) // after the bad line

	res = h.run("list")
	if res.code != 0 {
		t.Errorf("exit %d", res.code)
	}
	contains(t, "stderr", oneLine(t, "stderr", res.errOut), "1 unreadable line kept (8)")
	got := lines(t, res.out)
	if len(got) != 4 || !strings.HasPrefix(got[0], "SUBMITTED") {
		t.Fatalf("stdout:\n%s", res.out)
	}
	for i, want := range []struct{ file, task, format, batch, status string }{
		{"d.flac", "transcribe", "json", h.subs()[3].BatchID, "submitted"},
		{"b.mp3", "transcribe", "srt", "-", "failed"},
		{"a.wav", "transcribe", "srt", subs[0].BatchID, "submitted"},
	} {
		// The fixtures play for 1.7 s: "2 s" in the LENGTH column.
		fields := strings.Fields(got[i+1])
		if len(fields) != 10 || fields[2] != want.file || fields[3]+" "+fields[4] != "2 s" || fields[5] != want.task ||
			fields[6] != "audio-prod" || fields[7] != want.format || fields[8] != want.batch || fields[9] != want.status {
			t.Errorf("row %d: %q", i+1, got[i+1])
		}
	}
	res = h.run("list", "--all", "--json")
	got = lines(t, res.out)
	if len(got) != 4 {
		t.Fatalf("--all --json: %d lines", len(got))
	}
	var v listLine
	json.Unmarshal([]byte(got[1]), &v)
	if v.ID != subs[2].ID || !v.Hidden || v.Task != "translate" || v.File != subs[2].File || v.Outcome != "submitted" || v.Status != "submitted" || v.Size != 5678 {
		t.Errorf("hidden entry: %+v", v)
	}
	if !strings.Contains(got[1], `"duration_s":1.705,`) {
		t.Errorf("hidden entry: no duration_s 1.705 in %s", got[1])
	}
	json.Unmarshal([]byte(got[2]), &v)
	if v.Outcome != "failed" || v.HTTPStatus != 401 || !strings.Contains(v.Message, "HTTP 401") || v.ResponseFormat != "srt" {
		t.Errorf("failed entry: %+v", v)
	}
	if res := h.run("list", "extra"); res.code != 2 {
		t.Errorf("an argument: exit %d", res.code)
	}
}

// TestHelp: every command's --help lists every flag (short forms too) with
// its default, and examples, on stdout, exit 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	global := []string{"--base-url ", "--history ", "--debug ", "--demo ", "-h --help "}
	options := []string{"--task ", "--endpoint ", "--model ", "--response-format ", "--diarize ", "--language ", "--prompt ", "--temperature ",
		"--timestamp-granularities ", "--min-speakers ", "--max-speakers ", "--vad-model ", "--alignment-model ", "--preprocessing ", "--force "}
	for cmd, flags := range map[string][]string{
		"submit": append(append([]string{"-j --json ", "--dry-run ", "How many files upload at once (4)"}, global...), options...),
		"status": append([]string{"--wait ", "-j --json "}, global...),
		"result": append([]string{"-o --output ", "--force "}, global...),
		"list":   append([]string{"-j --json ", "--all "}, global...),
		"usage":  append([]string{"-j --json ", "--since "}, global...),
	} {
		res := h.run(cmd, "--help")
		if res.code != 0 || res.errOut != "" {
			t.Errorf("%s --help: exit %d, stderr %q", cmd, res.code, res.errOut)
		}
		_, usage, _ := strings.Cut(res.out, "USAGE")
		usage, examples, _ := strings.Cut(usage, "EXAMPLES")
		examples, flagList, _ := strings.Cut(examples, "FLAGS")
		if !strings.Contains(usage, "fwbatch "+cmd) || !strings.Contains(examples, "fwbatch "+cmd) {
			t.Errorf("%s --help: no usage line or examples:\n%s", cmd, res.out)
		}
		contains(t, cmd+" --help flags", flagList, flags...)
		contains(t, cmd+" --help", res.out, "(env FIREWORKS_BATCH_BASE_URL", "Exit status")
	}
}

// TestHelpCommandList: the root help lists each command as it is typed,
// its arguments one space after its name (fang drops a "[flags]" written
// in a Use, leaving two spaces where it was).
func TestHelpCommandList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	res := h.run("--help")
	_, commands, _ := strings.Cut(res.out, "COMMANDS")
	commands, _, _ = strings.Cut(commands, "FLAGS")
	for _, want := range []string{"submit FILE|DIR... [--flags]", "status [ID...] [--flags]", "result ID... [--flags]", "sync DIR|FILE... [--flags]", "list [--flags]"} {
		if !strings.Contains(commands, "    "+want+"  ") {
			t.Errorf("root help: no %q in its commands:\n%s", want, commands)
		}
	}
	for _, l := range strings.Split(commands, "\n") {
		// A command's line: four spaces, its usage, two or more spaces,
		// its description.
		if usage, _, ok := strings.Cut(strings.TrimPrefix(l, "    "), "  "); ok && usage != "" && !strings.HasSuffix(usage, "]") {
			t.Errorf("root help: %q: two spaces inside the usage", l)
		}
	}
}
