package submit_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestConformance checks, for every task × endpoint × response format and
// with every advanced field set, that the fake receives exactly the
// documented request, and that status and result come back intact.
func TestConformance(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)

	type tc struct {
		name       string
		file       string
		opts       submit.Options
		wantFields map[string]string
		wantType   string
	}
	var cases []tc
	for _, task := range submit.Tasks {
		for _, ep := range submit.Endpoints {
			for _, format := range submit.ResponseFormats {
				cases = append(cases, tc{
					name:       task + "/" + ep + "/" + format,
					file:       "hello.flac",
					opts:       submit.Options{Task: task, Endpoint: ep, ResponseFormat: format},
					wantFields: map[string]string{"model": submit.ModelFor(ep), "response_format": format},
					wantType:   "audio/flac",
				})
			}
		}
	}
	cases = append(cases,
		tc{
			name: "transcribe/every-field",
			file: "hello.wav",
			opts: submit.Options{
				Task: submit.TaskTranscribe, Endpoint: submit.EndpointTurbo, ResponseFormat: "verbose_json",
				Diarize: true, Language: "en", Prompt: "Names: Ada \"the\" Lovelace,\r\nGrace Hopper; ümlaut ✓",
				Temperature: "0,0.2,0.4", TimestampGranularities: "word,segment", MinSpeakers: 1, MaxSpeakers: 3,
				VADModel: "whisperx-pyannet", AlignmentModel: "tdnn_ffn", Preprocessing: "soft_dynamic",
			},
			wantFields: map[string]string{
				"model": "whisper-v3-turbo", "response_format": "verbose_json", "diarize": "true",
				"language": "en", "prompt": "Names: Ada \"the\" Lovelace,\r\nGrace Hopper; ümlaut ✓",
				"temperature": "0,0.2,0.4", "timestamp_granularities": "word,segment",
				"min_speakers": "1", "max_speakers": "3", "vad_model": "whisperx-pyannet",
				"alignment_model": "tdnn_ffn", "preprocessing": "soft_dynamic",
			},
			wantType: "audio/wav",
		},
		tc{
			name: "translate/every-field",
			file: "hello.mp3",
			opts: submit.Options{
				Task: submit.TaskTranslate, Endpoint: submit.EndpointProd, ResponseFormat: "verbose_json",
				Language: "de", Prompt: "Fachbegriffe", Temperature: "0.2", TimestampGranularities: "segment",
				VADModel: "silero", AlignmentModel: "mms_fa", Preprocessing: "bass_dynamic",
			},
			wantFields: map[string]string{
				"model": "whisper-v3", "response_format": "verbose_json", "language": "de",
				"prompt": "Fachbegriffe", "temperature": "0.2", "timestamp_granularities": "segment",
				"vad_model": "silero", "alignment_model": "mms_fa", "preprocessing": "bass_dynamic",
			},
			wantType: "audio/mpeg",
		},
		tc{
			name:       "ogg",
			file:       "hello.ogg",
			opts:       submit.Options{},
			wantFields: map[string]string{"model": "whisper-v3", "response_format": "json"},
			wantType:   "audio/ogg",
		},
	)

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			path := fixture(tt.file)
			before := len(fake.Requests())
			var progress progressLog
			sub, err := c.Submit(context.Background(), path, tt.opts, progress.add)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			reqs := fake.Requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("fake saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			opts := tt.opts.WithDefaults()
			if r.Method != "POST" || r.Path != "/"+submit.PathFor(opts.Task) {
				t.Errorf("request %s %s, want POST /%s", r.Method, r.Path, submit.PathFor(opts.Task))
			}
			if want := (url.Values{"endpoint_id": {opts.Endpoint}}); !maps.EqualFunc(r.Query, want, slices.Equal) {
				t.Errorf("query %q, want %q", r.RawQuery, want.Encode())
			}
			if got := r.Header.Values("Authorization"); !slices.Equal(got, []string{canary}) {
				t.Errorf("Authorization header %q, want the raw key", got)
			}
			info, _ := os.Stat(path)
			if r.ContentLength <= info.Size() || r.BodyRead != r.ContentLength {
				t.Errorf("Content-Length %d, body %d bytes, file %d bytes", r.ContentLength, r.BodyRead, info.Size())
			}
			if len(r.TransferEncoding) != 0 || r.Header.Get("Transfer-Encoding") != "" {
				t.Errorf("Transfer-Encoding %q, want none", r.TransferEncoding)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
				t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			}
			if !maps.Equal(r.Fields, tt.wantFields) {
				t.Errorf("fields\n got %q\nwant %q", r.Fields, tt.wantFields)
			}
			var wantOrder []string
			for _, f := range opts.Fields() {
				wantOrder = append(wantOrder, f.Name)
			}
			if !slices.Equal(r.FieldOrder, wantOrder) {
				t.Errorf("field order %q, want %q", r.FieldOrder, wantOrder)
			}
			if r.FileParts != 1 || r.FileName != tt.file || r.FileContentType != tt.wantType {
				t.Errorf("file parts %d, name %q, type %q; want 1, %q, %q", r.FileParts, r.FileName, r.FileContentType, tt.file, tt.wantType)
			}
			if r.FileSize != info.Size() || r.FileSHA256 != fileSHA256(t, path) {
				t.Errorf("file %d bytes sha256 %s; want %d bytes %s", r.FileSize, r.FileSHA256, info.Size(), fileSHA256(t, path))
			}
			if r.Status != 200 {
				t.Errorf("fake answered %d (%s)", r.Status, r.Error)
			}

			job, ok := fake.Job(sub.BatchID)
			if !ok {
				t.Fatalf("the fake has no job %q", sub.BatchID)
			}
			want := submit.Submitted{Status: "submitted", BatchID: job.BatchID, AccountID: job.AccountID,
				EndpointID: opts.Endpoint, Message: "Request submitted successfully"}
			if *sub != want {
				t.Errorf("Submitted %+v, want %+v", *sub, want)
			}
			ps := progress.all()
			if len(ps) == 0 || ps[0].Sent != 0 || ps[0].Attempt != 1 {
				t.Errorf("first progress %+v, want Sent 0 of attempt 1", ps)
			}
			if last := ps[len(ps)-1]; last.Sent != r.ContentLength || last.Total != r.ContentLength {
				t.Errorf("last progress %+v, want %d of %d", last, r.ContentLength, r.ContentLength)
			}

			st, err := c.Status(context.Background(), sub.AccountID, sub.BatchID)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if st.State() != submit.Completed || st.BatchID != sub.BatchID || st.ContentType != job.ContentType {
				t.Fatalf("status %+v", st)
			}
			data, err := st.Result()
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != job.Body {
				t.Errorf("result\n got %q\nwant %q", data, job.Body)
			}
			wantJSON := strings.HasSuffix(opts.ResponseFormat, "json")
			if st.IsJSON() != wantJSON || (wantJSON && !json.Valid(data)) {
				t.Errorf("content type %q, valid JSON %v, for %s", st.ContentType, json.Valid(data), opts.ResponseFormat)
			}
			tr, err := submit.ParseTranscript(opts.ResponseFormat, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tr.Text, "Welcome to the fwbatch demo.") {
				t.Errorf("transcript text %q", tr.Text)
			}
			if opts.Diarize {
				speakers := map[string]bool{}
				for _, s := range tr.Segments {
					speakers[s.Speaker] = true
				}
				if !speakers["SPEAKER_00"] || !speakers["SPEAKER_01"] || len(speakers) != 2 {
					t.Errorf("speakers %v, want SPEAKER_00 and SPEAKER_01", speakers)
				}
			}
		})
	}
}

// TestExtraRoundTrip checks that the history's options map rebuilds the
// same options.
func TestExtraRoundTrip(t *testing.T) {
	o := submit.Options{
		Task: submit.TaskTranscribe, Endpoint: submit.EndpointTurbo, ResponseFormat: "verbose_json",
		Diarize: true, Language: "en", Prompt: "p", Temperature: "0,0.2", TimestampGranularities: "word",
		MinSpeakers: 2, MaxSpeakers: 4, VADModel: "silero", AlignmentModel: "mms_fa", Preprocessing: "dynamic",
	}.WithDefaults()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	back, err := submit.OptionsFrom(o.Task, o.Endpoint, o.Model, o.Extra())
	if err != nil {
		t.Fatal(err)
	}
	if back != o {
		t.Errorf("round trip\n got %+v\nwant %+v", back, o)
	}
	if _, err := submit.OptionsFrom("transcribe", "audio-prod", "whisper-v3", map[string]string{"colour": "blue"}); err == nil {
		t.Error("an unknown option was accepted")
	}
	if _, err := submit.OptionsFrom("transcribe", "audio-prod", "whisper-v3", map[string]string{"min_speakers": "two"}); err == nil {
		t.Error("a malformed number was accepted")
	}
	for _, k := range []string{"task", "endpoint_id", "model"} {
		if _, ok := o.Extra()[k]; ok {
			t.Errorf("Extra holds %s", k)
		}
	}
}
