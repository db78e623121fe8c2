package fakeapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

const key = "test-key"

type part struct{ name, value string } // name "file" sends value as the file

// post sends a multipart submission with the parts in order.
func post(t *testing.T, url, auth string, parts ...part) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		if p.name == "file" {
			w, _ := mw.CreateFormFile("file", "a.wav")
			w.Write([]byte(p.value))
		} else {
			mw.WriteField(p.name, p.value)
		}
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, req)
}

func get(t *testing.T, url, auth string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", auth)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: reply is not JSON: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, v
}

// errorMessage checks the documented error shape and returns its message.
func errorMessage(t *testing.T, v map[string]any) string {
	t.Helper()
	e, ok := v["error"].(map[string]any)
	if !ok || e["object"] != "error" || e["type"] == "" {
		t.Fatalf("error reply %v is not {\"error\":{\"object\":\"error\",\"type\",\"message\"}}", v)
	}
	msg, _ := e["message"].(string)
	return msg
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	return StartTest(t, cfg)
}

const audio = "RIFF\x00\x00\x00\x00WAVEfmt data"

func TestValidation(t *testing.T) {
	s := start(t, Config{APIKey: key})
	transcribe := s.URL() + "/v1/audio/transcriptions?endpoint_id=audio-prod"
	translate := s.URL() + "/v1/audio/translations?endpoint_id=audio-turbo"
	file := part{"file", audio}
	verbose := []part{{"response_format", "verbose_json"}, {"timestamp_granularities", "word"}}
	tests := []struct {
		name  string
		url   string
		parts []part
		want  string // message prefix; "" = accepted
	}{
		{"minimal", transcribe, []part{file}, ""},
		{"fields after the file, as curl -F sends them", transcribe, []part{file, {"model", "whisper-v3"}, {"response_format", "srt"}}, ""},
		{"diarized", transcribe, append([]part{file, {"diarize", "true"}, {"min_speakers", "1"}, {"max_speakers", "2"}}, verbose...), ""},
		{"zh-hant", transcribe, []part{file, {"language", "zh-hant"}}, ""},
		{"no file", transcribe, []part{{"model", "whisper-v3"}}, "file: required"},
		{"two files", transcribe, []part{file, file}, "file: one file per request"},
		{"empty file", transcribe, []part{{"file", ""}}, "file: empty"},
		{"unknown field", transcribe, []part{file, {"colour", "blue"}}, "colour: unknown field"},
		{"duplicate field", transcribe, []part{file, {"prompt", "a"}, {"prompt", "b"}}, "prompt: given more than once"},
		{"model of the other endpoint", transcribe, []part{file, {"model", "whisper-v3-turbo"}}, "model:"},
		{"translation model", translate, []part{file, {"model", "whisper-v3-turbo"}}, ""},
		{"bad format", transcribe, []part{file, {"response_format", "xml"}}, "response_format:"},
		{"bad language", transcribe, []part{file, {"language", "English"}}, "language:"},
		{"zh-hans for translation", translate, []part{file, {"language", "zh-hans"}}, "language:"},
		{"bad temperature", transcribe, []part{file, {"temperature", "2"}}, "temperature:"},
		{"temperature list", transcribe, []part{file, {"temperature", "0,0.2,0.4"}}, ""},
		{"granularities without verbose_json", transcribe, []part{file, {"timestamp_granularities", "word"}}, "timestamp_granularities: requires response_format=verbose_json"},
		{"diarize without verbose_json", transcribe, []part{file, {"diarize", "true"}}, "diarize: requires"},
		{"diarize without word", transcribe, []part{file, {"diarize", "true"}, {"response_format", "verbose_json"}}, "diarize: requires"},
		{"diarize not a boolean", transcribe, []part{file, {"diarize", "maybe"}}, "diarize:"},
		{"speakers without diarize", transcribe, []part{file, {"min_speakers", "2"}}, "min_speakers: requires diarize=true"},
		{"speakers reversed", transcribe, append([]part{file, {"diarize", "true"}, {"min_speakers", "3"}, {"max_speakers", "2"}}, verbose...), "min_speakers:"},
		{"translation with diarize", translate, []part{file, {"diarize", "false"}}, "diarize: is not supported for translations"},
		{"bad vad", transcribe, []part{file, {"vad_model", "webrtc"}}, "vad_model:"},
		{"gentle", transcribe, []part{file, {"alignment_model", "gentle"}}, "alignment_model: gentle"},
		{"tdnn_ffn for German", transcribe, []part{file, {"alignment_model", "tdnn_ffn"}, {"language", "de"}}, "alignment_model:"},
		{"bad preprocessing", transcribe, []part{file, {"preprocessing", "loud"}}, "preprocessing:"},
		{"no endpoint_id", s.URL() + "/v1/audio/transcriptions", []part{file}, "endpoint_id query parameter is required"},
		{"unknown endpoint_id", s.URL() + "/v1/audio/transcriptions?endpoint_id=audio-fast", []part{file}, `unknown endpoint_id "audio-fast"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.SubmitCount()
			status, v := post(t, tt.url, key, tt.parts...)
			if tt.want == "" {
				if status != 200 || v["batch_id"] == "" || v["status"] != "submitted" || v["account_id"] != "fake-account" {
					t.Errorf("%d %v, want a submission", status, v)
				}
			} else if msg := errorMessage(t, v); status != 400 || !strings.HasPrefix(msg, tt.want) {
				t.Errorf("%d %q, want 400 %q…", status, msg, tt.want)
			}
			if s.SubmitCount() != before+1 {
				t.Errorf("submit count %d after %d", s.SubmitCount(), before)
			}
		})
	}
}

func TestAuthAndRoutes(t *testing.T) {
	s := start(t, Config{APIKey: key})
	submitURL := s.URL() + "/v1/audio/transcriptions?endpoint_id=audio-prod"
	for _, tt := range []struct {
		auth, want string
	}{
		{"", "missing API key"},
		{"wrong", `invalid API key "wrong"`},
		{"Bearer " + key, "send the raw API key"},
	} {
		status, v := post(t, submitURL, tt.auth, part{"file", audio})
		if msg := errorMessage(t, v); status != 401 || !strings.Contains(msg, tt.want) {
			t.Errorf("auth %q: %d %q", tt.auth, status, msg)
		}
	}
	if len(s.Jobs()) != 0 {
		t.Error("a refused request made a job")
	}
	status, v := get(t, s.URL()+"/v1/nothing", key)
	if errorMessage(t, v); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	status, v = get(t, submitURL, key)
	if errorMessage(t, v); status != 405 {
		t.Errorf("GET on the submit path: %d", status)
	}
	status, v = get(t, s.URL()+"/v1/accounts/fake-account/batch_job/nope", key)
	if msg := errorMessage(t, v); status != 404 || !strings.Contains(msg, "not found") {
		t.Errorf("unknown job: %d %q", status, msg)
	}
	_, sub := post(t, submitURL, key, part{"file", audio})
	status, _ = get(t, s.URL()+"/v1/accounts/other-account/batch_job/"+sub["batch_id"].(string), key)
	if status != 404 {
		t.Errorf("someone else's job: %d", status)
	}
	status, _ = get(t, s.URL()+"/v1/accounts/fake-account/batch_job/"+sub["batch_id"].(string), "wrong")
	if status != 401 {
		t.Errorf("status with a wrong key: %d", status)
	}
	if s.SubmitCount() != 4 || s.StatusCount() != 3 {
		t.Errorf("counts: %d submit, %d status", s.SubmitCount(), s.StatusCount())
	}

	open := start(t, Config{})
	status, _ = post(t, open.URL()+"/v1/audio/translations?endpoint_id=audio-turbo", "anything", part{"file", audio})
	if status != 200 {
		t.Errorf("any-key fake refused a key: %d", status)
	}
}

func TestRecord(t *testing.T) {
	s := start(t, Config{})
	data := audio + strings.Repeat("\x00\x01", 5000)
	post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-turbo", "k", part{"model", "whisper-v3-turbo"}, part{"file", data}, part{"language", "en"})
	r := s.Requests()[0]
	sum := sha256.Sum256([]byte(data))
	if r.Kind != "submit" || r.N != 1 || r.Method != "POST" || r.Path != "/v1/audio/transcriptions" || r.Query.Get("endpoint_id") != "audio-turbo" ||
		r.Header.Get("Authorization") != "k" || r.FileName != "a.wav" || r.FileSize != int64(len(data)) ||
		r.FileSHA256 != hex.EncodeToString(sum[:]) || r.BodyRead != r.ContentLength || r.Status != 200 || r.BatchID == "" ||
		strings.Join(r.FieldOrder, ",") != "model,language" || r.Fields["language"] != "en" {
		t.Errorf("record %+v", r)
	}
	j, ok := s.Job(r.BatchID)
	if !ok || j.Task != "transcribe" || j.EndpointID != "audio-turbo" || j.AccountID != "fake-account" {
		t.Errorf("job %+v", j)
	}

	nohash := start(t, Config{NoHash: true})
	post(t, nohash.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", data})
	if r := nohash.Requests()[0]; r.FileSHA256 != "" || r.FileSize != int64(len(data)) {
		t.Errorf("NoHash record %+v", r)
	}
}

func TestTooLarge(t *testing.T) {
	s := start(t, Config{MaxFileSize: 1000})
	status, _ := post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", strings.Repeat("a", 1001)})
	if status != 413 {
		t.Errorf("file over the limit: %d", status)
	}
	status, _ = post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", strings.Repeat("a", 1000)})
	if status != 200 {
		t.Errorf("file at the limit: %d", status)
	}
	// A Content-Length far over the limit is refused before any body is read.
	big := strings.Repeat("a", 2<<20)
	status, _ = post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", big})
	if r := s.Requests()[2]; status != 413 || r.BodyRead != 0 {
		t.Errorf("huge request: %d after reading %d bytes", status, r.BodyRead)
	}
}

func TestRender(t *testing.T) {
	words := strings.Fields(strings.Join(script, " "))
	for _, format := range formats {
		ct, body := Render("transcribe", map[string]string{"response_format": format})
		isJSON := strings.HasSuffix(format, "json")
		if (ct == "application/json") != isJSON || (!isJSON && ct != "text/plain; charset=utf-8") {
			t.Errorf("%s: content type %q", format, ct)
		}
		if isJSON && !json.Valid([]byte(body)) {
			t.Errorf("%s: invalid JSON %q", format, body)
		}
		for _, w := range words {
			if !strings.Contains(body, w) {
				t.Errorf("%s: missing word %q", format, w)
			}
		}
	}
	_, srt := Render("transcribe", map[string]string{"response_format": "srt"})
	if !strings.HasPrefix(srt, "1\n00:00:00,000 --> 00:00:01,750\nWelcome to the fwbatch demo.\n\n2\n00:00:02,250 --> ") {
		t.Errorf("srt:\n%s", srt)
	}
	_, vtt := Render("transcribe", map[string]string{"response_format": "vtt"})
	if !strings.HasPrefix(vtt, "WEBVTT\n\n00:00:00.000 --> 00:00:01.750\nWelcome to the fwbatch demo.\n\n") {
		t.Errorf("vtt:\n%s", vtt)
	}
	_, text := Render("translate", map[string]string{"response_format": "text"})
	_, js := Render("translate", map[string]string{})
	var j struct{ Text string }
	json.Unmarshal([]byte(js), &j)
	if text != j.Text+"\n" {
		t.Errorf("text %q and json %q differ", text, j.Text)
	}

	_, body := Render("transcribe", map[string]string{"response_format": "verbose_json", "diarize": "true",
		"timestamp_granularities": "word,segment", "language": "de"})
	var v verbose
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Task != "transcribe" || v.Language != "de" || len(v.Words) != len(words) || len(v.Segments) != len(script) || v.Duration <= 0 {
		t.Errorf("verbose %+v", v)
	}
	for i, s := range v.Segments {
		if want := fmt.Sprintf("SPEAKER_%02d", i%2); s.SpeakerID != want || len(s.Words) == 0 || s.Words[0].SpeakerID != want {
			t.Errorf("segment %d: %+v", i, s)
		}
	}
	_, body = Render("translate", map[string]string{"response_format": "verbose_json", "language": "de"})
	v = verbose{}
	json.Unmarshal([]byte(body), &v)
	if v.Task != "translate" || v.Language != "en" || v.Words != nil || v.Segments[0].SpeakerID != "" {
		t.Errorf("translation %+v", v)
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults(" 1:429=2.5, 3-4:reset ,s*:trickle,s2:500,5:job-failed=expired,*:hang")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.submit(1); got.Kind != RateLimited || got.RetryAfter != 2500*time.Millisecond {
		t.Errorf("1: %+v", got)
	}
	if f.submit(3).Kind != Reset || f.submit(4).Kind != Reset || f.submit(2).Kind != Hang || f.submit(99).Kind != Hang {
		t.Errorf("ranges and defaults: %+v", f.Submit)
	}
	if f.submit(5).JobStatus != "expired" || f.status(2).Kind != ServerError || f.status(7).Kind != Trickle {
		t.Errorf("%+v", f)
	}
	f, err = ParseFaults("1:echo-key=190,2:301=https://x.example:8443/v1,3:not-submitted=rejected,s1:308,s2:other-batch,s3:404,4:reset-early")
	if err != nil {
		t.Fatal(err)
	}
	if f.submit(1).Offset != 190 || f.submit(2).Location != "https://x.example:8443/v1" || f.submit(3).JobStatus != "rejected" ||
		f.status(1).Kind != PermanentRedir || f.status(2).Kind != OtherBatch || f.status(3).Kind != NotFound || f.submit(4).Kind != ResetEarly {
		t.Errorf("%+v", f)
	}
	if f, err := ParseFaults(""); err != nil || len(f.Submit)+len(f.Status) != 0 || f.submit(1).Kind != "" {
		t.Errorf("empty spec: %+v, %v", f, err)
	}
	for _, bad := range []string{"429", "1:teapot", "0:429", "x:429", "3-1:reset", "1:reset=2", "1:429=soon", "s:500",
		"1:echo-key=-1", "1:echo-key=far", "1:bom=1"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// eventually waits for cond, checking often; for states the fake reaches
// on its own goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCloseReleases: Close ends requests the fake is holding, and returns.
func TestCloseReleases(t *testing.T) {
	hold := func(kind Kind) Faults {
		return Faults{Submit: map[int]Fault{2: {Kind: kind}}, Status: map[int]Fault{1: {Kind: kind}}}
	}
	for _, tt := range []struct {
		name   string
		cfg    Config
		status bool // hold a status request instead of a submission
	}{
		{"hang", Config{Faults: hold(Hang)}, false},
		{"status hang", Config{Faults: hold(Hang)}, true},
		{"trickle", Config{Faults: hold(Trickle), TrickleEvery: time.Hour}, false},
		{"status trickle", Config{Faults: hold(Trickle), TrickleEvery: time.Hour}, true},
		{"stall", Config{Faults: hold(Stall)}, false},
		{"stalled reply", Config{Faults: hold(StallReply)}, false},
		{"stalled status reply", Config{Faults: hold(StallReply)}, true},
		{"latency", Config{Latency: time.Hour}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cfg)
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			var id string
			if tt.cfg.Latency == 0 {
				_, v := post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", audio})
				id, _ = v["batch_id"].(string)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				var req *http.Request
				if tt.status {
					req, _ = http.NewRequest("GET", s.URL()+"/v1/accounts/fake-account/batch_job/"+id, nil)
				} else {
					var body bytes.Buffer
					mw := multipart.NewWriter(&body)
					w, _ := mw.CreateFormFile("file", "a.wav")
					w.Write([]byte(audio))
					mw.Close()
					req, _ = http.NewRequest("POST", s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", &body)
					req.Header.Set("Content-Type", mw.FormDataContentType())
				}
				req.Header.Set("Authorization", "k")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
			n := 1
			if id != "" {
				n = 2
			}
			eventually(t, "the request to arrive", func() bool { return len(s.Requests()) == n })
			s.Close()
			<-done
			if r := s.Requests()[n-1]; r.Fault != "" && r.Status != 0 && r.Fault != Trickle && r.Fault != StallReply {
				t.Errorf("held request answered: %+v", r)
			}
		})
	}
}

func TestStatusReplies(t *testing.T) {
	s := start(t, Config{Polls: 1, Faults: Faults{Submit: map[int]Fault{2: {Kind: JobFailed}}}})
	url := s.URL() + "/v1/audio/transcriptions?endpoint_id=audio-prod"
	_, ok := post(t, url, "k", part{"file", audio}, part{"response_format", "verbose_json"})
	_, bad := post(t, url, "k", part{"file", audio})
	statusURL := func(id any) string { return s.URL() + "/v1/accounts/fake-account/batch_job/" + id.(string) }

	_, v := get(t, statusURL(ok["batch_id"]), "k")
	if v["status"] != "processing" || v["message"] != nil || v["body"] != nil || v["batch_id"] != ok["batch_id"] {
		t.Errorf("first check: %v", v)
	}
	_, v = get(t, statusURL(ok["batch_id"]), "k")
	if v["status"] != "completed" || v["content_type"] != "application/json" {
		t.Fatalf("second check: %v", v)
	}
	body, _ := v["body"].(string)
	if !json.Valid([]byte(body)) || !strings.Contains(body, `"segments"`) {
		t.Errorf("body is not a string of verbose JSON: %q", body)
	}
	get(t, statusURL(bad["batch_id"]), "k")
	_, v = get(t, statusURL(bad["batch_id"]), "k")
	if v["status"] != "failed" || v["message"] == nil || v["body"] != nil {
		t.Errorf("failed job: %v", v)
	}
	if j, _ := s.Job(bad["batch_id"].(string)); j.Polls != 2 {
		t.Errorf("polls %d", j.Polls)
	}
}

func TestReadRate(t *testing.T) {
	const rate = 200 << 10
	s := start(t, Config{ReadRate: rate})
	data := audio + strings.Repeat("\x00", 100<<10)
	begin := time.Now()
	status, _ := post(t, s.URL()+"/v1/audio/transcriptions?endpoint_id=audio-prod", "k", part{"file", data})
	took := time.Since(begin)
	// ~100 KiB at 200 KiB/s: about half a second, not instant.
	if status != 200 || took < 400*time.Millisecond || took > 5*time.Second {
		t.Errorf("a %d-byte upload at %d B/s: status %d after %v", len(data), rate, status, took)
	}
	if r := s.Requests()[0]; r.FileSize != int64(len(data)) || r.BodyRead != r.ContentLength {
		t.Errorf("throttled record %+v", r)
	}
}
