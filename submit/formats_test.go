package submit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astisub"

	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

func TestParseOutputFormats(t *testing.T) {
	for in, want := range map[string][]string{
		"srt":                  {"srt"},
		"srt,vtt,txt":          {"srt", "vtt", "txt"},
		" TSV , json ,srt,tsv": {"tsv", "json", "srt"},
		"all":                  submit.OutputFormats,
		"srt,all":              submit.OutputFormats,
		"vtt,":                 {"vtt"},
	} {
		got, err := submit.ParseOutputFormats(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseOutputFormats(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"docx":         `--output-format docx: "docx" is not an output format; use srt, vtt, txt, tsv or json, or all`,
		"srt,text":     `--output-format srt,text: "text" is not an output format; use srt, vtt, txt, tsv or json, or all`,
		"":             `--output-format "": name one or more of srt, vtt, txt, tsv, json, or all`,
		" , ":          `--output-format " , ": name one or more of srt, vtt, txt, tsv, json, or all`,
		"verbose_json": `--output-format verbose_json: "verbose_json" is not an output format; use srt, vtt, txt, tsv or json, or all`,
	} {
		_, err := submit.ParseOutputFormats(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseOutputFormats(%q): error %v, want %s", in, err, want)
		}
	}
}

type seg struct {
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Text    string  `json:"text"`
	Speaker string  `json:"speaker_id,omitempty"`
}

func verboseJSON(t *testing.T, segs ...seg) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"task": "transcribe", "language": "en", "segments": segs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func render(t *testing.T, format string, result []byte, out string) []byte {
	t.Helper()
	b, err := submit.Render("talk.flac (batch b1)", format, result, out)
	if err != nil {
		t.Fatalf("Render %s → %s: %v", format, out, err)
	}
	return b
}

// cue is what a subtitle parser read back.
type cue struct {
	start, end time.Duration
	text       string
}

func readBack(t *testing.T, format string, data []byte) []cue {
	t.Helper()
	var subs *astisub.Subtitles
	var err error
	if format == "srt" {
		subs, err = astisub.ReadFromSRT(bytes.NewReader(data))
	} else {
		subs, err = astisub.ReadFromWebVTT(bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("go-astisub cannot read the %s written: %v\n%s", format, err, data)
	}
	var out []cue
	for _, it := range subs.Items {
		// go-astisub keeps the blank line that ends the last cue of an SRT
		// file as an empty line of text; it is not part of the cue.
		it.Lines = slices.DeleteFunc(it.Lines, func(l astisub.Line) bool { return l.String() == "" })
		text := it.String()
		if format == "vtt" {
			// go-astisub turns &amp; and &lt; back into text but not
			// &gt;, which WebVTT readers must (it is how "-->" is written).
			text = strings.ReplaceAll(text, "&gt;", ">")
		}
		out = append(out, cue{it.StartAt, it.EndAt, text})
	}
	return out
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// TestRenderSubtitles writes srt and vtt from a verbose_json result with
// awkward segments and reads them back with go-astisub, an independent
// parser: every cue with text, its times to the millisecond, its speaker.
func TestRenderSubtitles(t *testing.T) {
	result := verboseJSON(t,
		seg{0, 1.2344, " Hello there.", "SPEAKER_00"},
		seg{1.5, 1.5, "Zero length.", "SPEAKER_01"},
		seg{2, 3, "   ", "SPEAKER_00"}, // no text: no cue
		seg{3723.4565, 3725, "Past an hour,\r\nacross\n\nlines.", "SPEAKER_01"},
		seg{360000.001, 360061.999, "Past 100 hours --> still <b>fine</b> & well", ""},
		seg{-1, 0.0004, "Before the start.", "SPEAKER_00"},
	)
	want := []cue{
		{0, ms(1234), "[SPEAKER_00] Hello there."},
		{ms(1500), ms(1500), "[SPEAKER_01] Zero length."},
		{ms(3723457), ms(3725000), "[SPEAKER_01] Past an hour, across lines."},
		{ms(360000001), ms(360061999), "Past 100 hours --> still <b>fine</b> & well"},
		{0, 0, "[SPEAKER_00] Before the start."},
	}
	for _, format := range []string{"srt", "vtt"} {
		t.Run(format, func(t *testing.T) {
			data := render(t, "verbose_json", result, format)
			got := readBack(t, format, data)
			if len(got) != len(want) {
				t.Fatalf("%d cues read back, want %d:\n%s", len(got), len(want), data)
			}
			for i, w := range want {
				g := got[i]
				if format == "srt" {
					// SRT has no escapes: its text keeps what a reader
					// shows, and never a second "-->" on a line.
					w.text = strings.NewReplacer("-->", "-- >", "<b>", "", "</b>", "").Replace(w.text)
				}
				if g != w {
					t.Errorf("cue %d: read back %+v, want %+v", i+1, g, w)
				}
			}
			text := string(data)
			switch format {
			case "srt":
				if !strings.HasPrefix(text, "1\n00:00:00,000 --> 00:00:01,234\n[SPEAKER_00] Hello there.\n\n2\n") ||
					!strings.Contains(text, "\n4\n100:00:00,001 --> 100:01:01,999\n") {
					t.Errorf("srt layout:\n%s", text)
				}
			case "vtt":
				if !strings.HasPrefix(text, "WEBVTT\n\n00:00:00.000 --> 00:00:01.234\n[SPEAKER_00] Hello there.\n\n") ||
					!strings.Contains(text, "01:02:03.457 --> 01:02:05.000") || !strings.Contains(text, "--&gt; still &lt;b>fine&lt;/b> &amp; well") {
					t.Errorf("vtt layout:\n%s", text)
				}
			}
			if strings.Contains(text, "\r") {
				t.Errorf("%s holds a carriage return", format)
			}
		})
	}
}

func TestRenderTextAndTSV(t *testing.T) {
	diarized := verboseJSON(t,
		seg{0, 1.5, " Hi.", "SPEAKER_00"},
		seg{1.5, 2, "", "SPEAKER_01"},
		seg{2, 62.3456, "Tab\there,\nnewline.", "SPEAKER_01"},
	)
	if got, want := string(render(t, "verbose_json", diarized, "txt")), "[SPEAKER_00] Hi.\n[SPEAKER_01] Tab\there, newline.\n"; got != want {
		t.Errorf("txt:\n%q\nwant\n%q", got, want)
	}
	if got, want := string(render(t, "verbose_json", diarized, "tsv")),
		"start\tend\tspeaker\ttext\n0.000\t1.500\tSPEAKER_00\tHi.\n1.500\t2.000\tSPEAKER_01\t\n2.000\t62.346\tSPEAKER_01\tTab here, newline.\n"; got != want {
		t.Errorf("tsv:\n%q\nwant\n%q", got, want)
	}
	if got := render(t, "verbose_json", diarized, "json"); !bytes.Equal(got, diarized) {
		t.Errorf("json is not the result as it came: %s", got)
	}
	plain := []byte(`{"text":" One. Two. ","segments":[{"start":0,"end":1,"text":"One."},{"start":1,"end":2,"text":"Two."}]}`)
	if got := string(render(t, "verbose_json", plain, "txt")); got != "One. Two.\n" {
		t.Errorf("txt without speakers: %q", got)
	}
	if got := string(render(t, "verbose_json", plain, "tsv")); got != "start\tend\tspeaker\ttext\n0.000\t1.000\t\tOne.\n1.000\t2.000\t\tTwo.\n" {
		t.Errorf("tsv without speakers: %q", got)
	}
	if got := string(render(t, "verbose_json", []byte(`{"text":"","segments":[]}`), "srt")); got != "" {
		t.Errorf("srt of nothing: %q", got)
	}
	if got := string(render(t, "verbose_json", []byte(`{"text":"","segments":[]}`), "vtt")); got != "WEBVTT\n\n" {
		t.Errorf("vtt of nothing: %q", got)
	}
}

// Speakers only on the words: each segment goes to whoever says most of
// it, from the segment's own words or, without them, the words inside it.
func TestRenderSpeakersFromWords(t *testing.T) {
	result := []byte(`{"text":"a b c d e f","segments":[
		{"start":0,"end":3,"text":"a b c","words":[{"word":"a","start":0,"end":1,"speaker_id":"S1"},{"word":"b","start":1,"end":2,"speaker_id":"S2"},{"word":"c","start":2,"end":3,"speaker_id":"S2"}]},
		{"start":3,"end":6,"text":"d e f"}],
		"words":[{"word":"d","start":3,"end":4,"speaker_id":"S3"},{"word":"e","start":4,"end":5,"speaker_id":"S1"},{"word":"f","start":5,"end":6,"speaker_id":"S1"},{"word":"g","start":5.9,"end":9,"speaker_id":"S3"}]}`)
	if got, want := string(render(t, "verbose_json", result, "txt")), "[S2] a b c\n[S1] d e f\n"; got != want {
		t.Errorf("txt %q, want %q", got, want)
	}
}

// A result in another format is written as it is, in its own format; any
// other format is refused in one line naming the job and the format.
func TestRenderOtherResults(t *testing.T) {
	srt := []byte("1\n00:00:00,000 --> 00:00:01,000\nHi\n\n")
	if got := render(t, "srt", srt, "srt"); !bytes.Equal(got, srt) {
		t.Errorf("srt as is: %q", got)
	}
	if got := render(t, "text", []byte("Hi\n"), "txt"); string(got) != "Hi\n" {
		t.Errorf("text as txt: %q", got)
	}
	if got := render(t, "json", []byte(`{"text":" Hi. "}`), "txt"); string(got) != "Hi.\n" {
		t.Errorf("json's text: %q", got)
	}
	for _, tt := range []struct{ format, out, want string }{
		{"srt", "vtt", "talk.flac (batch b1): cannot write vtt from a srt result, only srt; a verbose_json result gives every format"},
		{"json", "srt", "talk.flac (batch b1): cannot write srt from a json result, only txt or json; a verbose_json result gives every format"},
		{"text", "tsv", "talk.flac (batch b1): cannot write tsv from a text result, only txt; a verbose_json result gives every format"},
		{"verbose_json", "docx", `talk.flac (batch b1): "docx" is not an output format; use srt, vtt, txt, tsv or json`},
	} {
		_, err := submit.Render("talk.flac (batch b1)", tt.format, []byte("x"), tt.out)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s → %s: %v\nwant %s", tt.format, tt.out, err, tt.want)
		}
	}
	_, err := submit.Render("talk.flac (batch b1)", "verbose_json", []byte("{"), "srt")
	if err == nil || !strings.HasPrefix(err.Error(), "talk.flac (batch b1): the verbose_json result is not valid JSON") || strings.Contains(err.Error(), "\n") {
		t.Errorf("broken result: %v", err)
	}
}

// The fake's diarized verbose_json result, fetched as a client gets it,
// gives every format with both speakers.
func TestRenderFakeResult(t *testing.T) {
	fake := startFake(t, fakeapi.Config{APIKey: canary, Polls: 1})
	c, _ := newClient(t, fake.URL(), nil)
	opts := submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word", Diarize: true}
	reply, err := c.Submit(context.Background(), fixture("hello.flac"), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	var job *submit.Job
	for job == nil || job.State() != submit.Completed {
		if job, err = c.Status(context.Background(), reply.AccountID, reply.BatchID); err != nil {
			t.Fatal(err)
		}
	}
	result, err := job.Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range submit.OutputFormats {
		data := render(t, "verbose_json", result, format)
		for _, speaker := range []string{"SPEAKER_00", "SPEAKER_01"} {
			if !bytes.Contains(data, []byte(speaker)) {
				t.Errorf("%s has no %s:\n%s", format, speaker, data)
			}
		}
		if format == "srt" || format == "vtt" {
			cues := readBack(t, format, data)
			if len(cues) != 4 || cues[0].text != "[SPEAKER_00] Welcome to the fwbatch demo." || cues[1].start != ms(2250) || cues[3].end != ms(10600) {
				t.Errorf("%s cues: %+v", format, cues)
			}
		}
	}
	if got := fmt.Sprintln(submit.OutputExt("tsv"), submit.OutputExt("vtt")); got != ".tsv .vtt\n" {
		t.Errorf("OutputExt: %s", got)
	}
}
