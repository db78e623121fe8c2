package fakeapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func submitted(t *testing.T, s *Server, k string, fields ...part) (batchID, account string) {
	t.Helper()
	parts := append([]part{{"file", audio}}, fields...)
	status, v := post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", k, parts...)
	if status != 200 {
		t.Fatalf("submit: %d %v", status, v)
	}
	return v["batch_id"].(string), v["account_id"].(string)
}

// TestDemoConfig: the demo wants DemoKey and completes a job once it was
// checked once and 4 seconds have passed, with a diarized transcript when
// asked.
func TestDemoConfig(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)}
	cfg := DemoConfig("")
	cfg.Now = clk.now
	s := start(t, cfg)
	if status, _ := post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "other", part{"file", audio}); status != 401 {
		t.Errorf("another key: %d", status)
	}
	id, account := submitted(t, s, DemoKey, part{"response_format", "verbose_json"}, part{"timestamp_granularities", "word"}, part{"diarize", "true"})
	url := s.URL() + "/v1/accounts/" + account + "/batch_job/" + id
	clk.add(5 * time.Second)
	if _, v := get(t, url, DemoKey); v["status"] != "processing" {
		t.Errorf("first check: %v", v)
	}
	_, v := get(t, url, DemoKey)
	if v["status"] != "completed" || !strings.Contains(v["body"].(string), `"speaker_id":"SPEAKER_01"`) {
		t.Errorf("second check after 5 s: %v", v)
	}
	s2 := start(t, DemoConfig(""))
	id2, _ := submitted(t, s2, DemoKey)
	url2 := s2.URL() + "/v1/accounts/" + account + "/batch_job/" + id2
	get(t, url2, DemoKey)
	if _, v := get(t, url2, DemoKey); v["status"] != "processing" {
		t.Errorf("checked twice within 4 s: %v", v)
	}
}

// TestStateFile: jobs outlive the server that made them, and two servers on
// one state file see each other's jobs.
func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo", "fake-jobs.json")
	a := start(t, Config{StateFile: path, Polls: 2})
	id, account := submitted(t, a, key, part{"response_format", "srt"})
	statusURL := func(s *Server, id string) string { return s.URL() + "/v1/accounts/" + account + "/batch_job/" + id }
	if _, v := get(t, statusURL(a, id), key); v["status"] != "processing" {
		t.Fatalf("first check: %v", v)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	// A second server on the same file, while the first still runs.
	b := start(t, Config{StateFile: path, Polls: 2})
	idB, _ := submitted(t, b, key)
	if status, v := get(t, statusURL(a, idB), key); status != 200 || v["status"] != "processing" {
		t.Errorf("a job of the other server: %d %v", status, v)
	}
	a.Close()

	// A restart: the poll count came along, so the third check completes.
	c := start(t, Config{StateFile: path, Polls: 2})
	if _, v := get(t, statusURL(c, id), key); v["status"] != "processing" {
		t.Errorf("second check, after a restart: %v", v)
	}
	_, v := get(t, statusURL(c, id), key)
	want, _ := c.Job(id)
	if v["status"] != "completed" || v["body"] != want.Body || !strings.HasPrefix(want.Body, "1\n00:00:00,000 --> ") {
		t.Errorf("third check: %v", v)
	}
	if _, ok := c.Job(idB); !ok {
		t.Errorf("the job the second server made is lost")
	}

	os.WriteFile(path, []byte("{not json\n"), 0o600)
	err := New(Config{StateFile: path}).Start()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove the file") {
		t.Errorf("corrupt state file: %v", err)
	}
}

// TestStateFileIsAJournal: a new job and a status check each append one
// short line; nothing already written is rewritten (the whole file was,
// per job and per check, which made a demo of 2,000 files take minutes).
// A line torn by a process that died is dropped at the next start, and a
// file of the first format is read and rewritten.
func TestStateFileIsAJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fake-jobs.json")
	s := start(t, Config{StateFile: path, Polls: 1000})
	read := func() []byte {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return data
	}
	var ids []string
	var account string
	before := read()
	for i := range 50 {
		id, acct := submitted(t, s, key)
		ids, account = append(ids, id), acct
		after := read()
		if !strings.HasPrefix(string(after), string(before)) {
			t.Fatalf("job %d rewrote the state file", i+1)
		}
		if grew := len(after) - len(before); grew > 4096 {
			t.Fatalf("job %d added %d bytes", i+1, grew)
		}
		before = after
	}
	get(t, s.URL()+"/v1/accounts/"+account+"/batch_job/"+ids[0], key)
	after := read()
	if !strings.HasPrefix(string(after), string(before)) || len(after)-len(before) > 100 {
		t.Fatalf("a status check wrote %d bytes, or rewrote the file", len(after)-len(before))
	}
	s.Close()

	// A process killed mid-write leaves a torn last line.
	os.WriteFile(path, append(after, []byte(`{"job":{"BatchID":"tor`)...), 0o600)
	again := start(t, Config{StateFile: path, Polls: 1000})
	if j, ok := again.Job(ids[0]); !ok || j.Polls != 1 || len(again.Jobs()) != 50 {
		t.Fatalf("after a torn line: %d jobs, first %+v", len(again.Jobs()), j)
	}
	if data := read(); !strings.HasSuffix(string(data), "}\n") {
		t.Fatalf("the torn line is still there: %q", data[max(0, len(data)-80):])
	}
	again.Close()

	// The first format: one object with every job.
	j, _ := again.Job(ids[1])
	legacy, _ := json.Marshal(map[string]any{"version": 1, "jobs": []Job{j}})
	os.WriteFile(path, legacy, 0o600)
	old := start(t, Config{StateFile: path, Polls: 1000})
	if _, ok := old.Job(ids[1]); !ok {
		t.Fatal("a job of the first format was not read")
	}
	submitted(t, old, key)
	old.Close()
	if n := len(start(t, Config{StateFile: path}).Jobs()); n != 2 {
		t.Fatalf("%d jobs after a new one in a file of the first format, want 2", n)
	}
}

// TestAdmin: the admin view shows what was sent, and never the key.
func TestAdmin(t *testing.T) {
	off := start(t, Config{APIKey: key})
	if status, _ := get(t, off.URL()+"/_fake/requests", key); status != 404 {
		t.Errorf("admin routes without Admin: %d", status)
	}

	s := start(t, Config{APIKey: key, Admin: true})
	submitted(t, s, key, part{"language", "en"})
	post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "Bearer "+key, part{"file", audio})
	post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "wrong-key", part{"file", audio})

	resp, err := http.Get(s.URL() + "/_fake/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	if strings.Contains(string(raw), key) || strings.Contains(string(raw), "wrong-key") {
		t.Errorf("the admin view shows a key: %s", raw)
	}
	var reqs []AdminRequest
	if err := json.Unmarshal(raw, &reqs); err != nil || len(reqs) != 3 {
		t.Fatalf("requests: %v %s", err, raw)
	}
	keySum := sha256.Sum256([]byte(key))
	sum := sha256.Sum256([]byte(audio))
	r := reqs[0]
	if r.Kind != "submit" || r.Method != "POST" || r.Path != "/v1/audio/transcriptions" || r.Query != "endpoint_id=audio-prod" ||
		!r.AuthPresent || r.AuthSHA256 != hex.EncodeToString(keySum[:]) || r.AuthIsKey == nil || !*r.AuthIsKey || r.AuthBearer ||
		r.ContentLength <= 0 || len(r.TransferEncoding) != 0 || r.Fields["language"] != "en" || r.FileSHA256 != hex.EncodeToString(sum[:]) ||
		r.FileSize != int64(len(audio)) || r.Status != 200 || r.BatchID == "" || !strings.HasPrefix(r.Headers["Content-Type"], "multipart/form-data") {
		t.Errorf("request 1: %+v", r)
	}
	if r := reqs[1]; !r.AuthBearer || *r.AuthIsKey || r.Status != 401 {
		t.Errorf("request 2 (Bearer): %+v", r)
	}
	if r := reqs[2]; *r.AuthIsKey || r.Status != 401 || !strings.Contains(r.Error, "[redacted]") {
		t.Errorf("request 3 (wrong key): %+v", r)
	}

	resp2, err := http.Get(s.URL() + "/_fake/jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	var jobs []AdminJob
	if err := json.NewDecoder(resp2.Body).Decode(&jobs); err != nil || len(jobs) != 1 || jobs[0].BatchID != reqs[0].BatchID || jobs[0].Body == "" {
		t.Errorf("jobs: %v %+v", err, jobs)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("admin requests were recorded: %d requests", n)
	}
	req, _ := http.NewRequest("DELETE", s.URL()+"/_fake/jobs", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Errorf("DELETE: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
