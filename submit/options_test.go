package submit_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/fwbatch/fwbatch/submit"
)

func TestWithDefaults(t *testing.T) {
	got := submit.Options{}.WithDefaults()
	want := submit.Options{Task: "transcribe", Endpoint: "audio-prod", Model: "whisper-v3", ResponseFormat: "json"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if m := (submit.Options{Endpoint: submit.EndpointTurbo}).WithDefaults().Model; m != "whisper-v3-turbo" {
		t.Errorf("turbo model %q", m)
	}
	if ep := (submit.Options{Model: submit.ModelTurbo}).WithDefaults().Endpoint; ep != submit.EndpointTurbo {
		t.Errorf("the turbo model alone picked endpoint %q", ep)
	}
	if got := (submit.Options{}).WithDefaults().Fields(); !slices.Equal(got, []submit.Field{{"model", "whisper-v3"}, {"response_format", "json"}}) {
		t.Errorf("default fields %v", got)
	}
}

func TestValidate(t *testing.T) {
	verbose := submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word"}
	diarized := verbose
	diarized.Diarize = true
	with := func(o submit.Options, f func(*submit.Options)) submit.Options { f(&o); return o }

	good := []submit.Options{
		{},
		{Task: "translate", Endpoint: "audio-turbo", Language: "ja"},
		{Language: "zh-hant"},
		{Language: "yue"},
		{Temperature: "0"},
		{Temperature: "1"},
		{Temperature: "0,0.2,0.4,0.6,0.8,1.0"},
		{ResponseFormat: "verbose_json", TimestampGranularities: "segment,word"},
		diarized,
		with(diarized, func(o *submit.Options) { o.MinSpeakers, o.MaxSpeakers = 2, 2 }),
		with(diarized, func(o *submit.Options) { o.MaxSpeakers = 5 }),
		{AlignmentModel: "tdnn_ffn", Language: "en"},
		{AlignmentModel: "tdnn_ffn"},
		{VADModel: "whisperx-pyannet", Preprocessing: "bass_dynamic"},
		{Prompt: "anything, even\nnewlines"},
	}
	for _, o := range good {
		if err := o.WithDefaults().Validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}

	bad := []struct {
		o     submit.Options
		field string
		msg   string
	}{
		{submit.Options{Task: "summarize"}, "task", `task: "summarize" is not a task; use transcribe or translate`},
		{submit.Options{Endpoint: "audio-fast"}, "endpoint_id", ""},
		{submit.Options{Endpoint: "audio-prod", Model: "whisper-v3-turbo"}, "model", "model: whisper-v3-turbo does not run on audio-prod; use whisper-v3 there, or pick the other endpoint"},
		{submit.Options{Model: "whisper-v2"}, "model", ""},
		{submit.Options{ResponseFormat: "xml"}, "response_format", ""},
		{submit.Options{Language: "english"}, "language", ""},
		{submit.Options{Language: "EN"}, "language", ""},
		{submit.Options{Task: "translate", Language: "zh-hans"}, "language", ""},
		{submit.Options{Temperature: "hot"}, "temperature", ""},
		{submit.Options{Temperature: "1.5"}, "temperature", ""},
		{submit.Options{Temperature: "-0.1"}, "temperature", ""},
		{submit.Options{Temperature: "0, 0.2"}, "temperature", ""},
		{submit.Options{Temperature: "NaN"}, "temperature", ""},
		{submit.Options{Temperature: "0,"}, "temperature", ""},
		{submit.Options{TimestampGranularities: "word"}, "timestamp_granularities", "timestamp_granularities: needs response_format verbose_json"},
		{submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "char"}, "timestamp_granularities", ""},
		{submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: "word,word"}, "timestamp_granularities", ""},
		{submit.Options{Diarize: true}, "diarize", "diarize: needs response_format verbose_json and word in timestamp_granularities"},
		{submit.Options{Diarize: true, ResponseFormat: "verbose_json"}, "diarize", ""},
		{submit.Options{Diarize: true, ResponseFormat: "verbose_json", TimestampGranularities: "segment"}, "diarize", ""},
		{with(diarized, func(o *submit.Options) { o.Task = "translate" }), "diarize", "diarize: not available for translation; transcribe instead"},
		{submit.Options{Task: "translate", MinSpeakers: 2}, "min_speakers", ""},
		{submit.Options{MinSpeakers: 2}, "min_speakers", "min_speakers: only with diarize"},
		{submit.Options{MaxSpeakers: 2}, "max_speakers", ""},
		{with(diarized, func(o *submit.Options) { o.MaxSpeakers = -1 }), "max_speakers", ""},
		{with(diarized, func(o *submit.Options) { o.MinSpeakers, o.MaxSpeakers = 3, 2 }), "min_speakers", ""},
		{submit.Options{VADModel: "webrtc"}, "vad_model", ""},
		{submit.Options{AlignmentModel: "gentle"}, "alignment_model", ""},
		{submit.Options{AlignmentModel: "wav2vec"}, "alignment_model", ""},
		{submit.Options{AlignmentModel: "tdnn_ffn", Language: "de"}, "alignment_model", "alignment_model: tdnn_ffn aligns English only; use mms_fa for de"},
		{submit.Options{Preprocessing: "loud"}, "preprocessing", ""},
	}
	for _, tt := range bad {
		err := tt.o.WithDefaults().Validate()
		var fe *submit.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%+v: error %v, want one about %s", tt.o, err, tt.field)
			continue
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("%+v:\n got %q\nwant %q", tt.o, err, tt.msg)
		}
	}
}

// TestFormLists: the lists a form offers are all valid choices.
func TestFormLists(t *testing.T) {
	for _, f := range submit.ResponseFormats {
		if err := (submit.Options{ResponseFormat: f}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, g := range submit.TimestampGranularities {
		if err := (submit.Options{ResponseFormat: "verbose_json", TimestampGranularities: g}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, v := range submit.VADModels {
		if err := (submit.Options{VADModel: v}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, a := range submit.AlignmentModels {
		if err := (submit.Options{AlignmentModel: a}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, p := range submit.Preprocessings {
		if err := (submit.Options{Preprocessing: p}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, l := range append(submit.Languages, submit.ChineseScripts...) {
		if err := (submit.Options{Language: l}).WithDefaults().Validate(); err != nil {
			t.Error(err)
		}
	}
	if len(submit.Languages) != 100 {
		t.Errorf("%d languages, Whisper v3 has 100", len(submit.Languages))
	}
	for _, ep := range submit.Endpoints {
		if submit.ModelFor(ep) == "" {
			t.Errorf("no model for %s", ep)
		}
	}
}
