package submit

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Tasks and endpoints of the batch API.
const (
	TaskTranscribe = "transcribe"
	TaskTranslate  = "translate"

	EndpointProd  = "audio-prod"
	EndpointTurbo = "audio-turbo"

	ModelProd  = "whisper-v3"
	ModelTurbo = "whisper-v3-turbo"
)

// MaxFileSize is the largest file fwbatch uploads. The API documents "1 GB"
// per file without saying whether that is 10^9 or 2^30 bytes; we take the
// smaller reading so that nobody uploads 1.07 GB only to be refused with 413.
const MaxFileSize = 1_000_000_000

// The documented values of the enumerated fields, in the order a form shows
// them; the first one is the server's default where the API has one.
var (
	Tasks                  = []string{TaskTranscribe, TaskTranslate}
	Endpoints              = []string{EndpointProd, EndpointTurbo}
	ResponseFormats        = []string{"json", "text", "srt", "verbose_json", "vtt"}
	TimestampGranularities = []string{"segment", "word", "word,segment"}
	VADModels              = []string{"silero", "whisperx-pyannet"}
	// AlignmentModels leaves out "gentle": the API documents it for dedicated
	// endpoints only, and the batch API reaches only audio-prod and audio-turbo.
	AlignmentModels = []string{"mms_fa", "tdnn_ffn"}
	Preprocessings  = []string{"none", "dynamic", "soft_dynamic", "bass_dynamic"}
	// Languages are the codes Whisper v3 knows (ISO 639-1, plus haw, yue and
	// Whisper's jw). Transcription also takes ChineseScripts.
	Languages = strings.Fields(`en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el
		ms cs ro da hu ta no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is
		hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk
		nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue`)
	ChineseScripts = []string{"zh-hant", "zh-hans"}
)

// ModelFor returns the model that runs on endpoint ("" for an unknown one).
func ModelFor(endpoint string) string {
	switch endpoint {
	case EndpointProd:
		return ModelProd
	case EndpointTurbo:
		return ModelTurbo
	}
	return ""
}

// PathFor returns the API path of a task, without a leading slash.
func PathFor(task string) string {
	switch task {
	case TaskTranscribe:
		return "v1/audio/transcriptions"
	case TaskTranslate:
		return "v1/audio/translations"
	}
	return ""
}

// Options are the choices for one submission: what the form shows and the
// multipart fields the API receives. The zero value of each field means
// "not set"; WithDefaults fills in what must always be sent.
type Options struct {
	Task, Endpoint, Model, ResponseFormat string
	Diarize                               bool
	// Temperature is text as the user typed it: "0.2" or "0,0.2,0.4".
	// TimestampGranularities is "word", "segment" or "word,segment".
	Language, Prompt, Temperature, TimestampGranularities string
	MinSpeakers, MaxSpeakers                              int // 0 = unset
	// "" = the server's default, not sent.
	VADModel, AlignmentModel, Preprocessing string

	// Force sends a file whose first bytes do not look like audio or video.
	// It is a local decision: never sent, never part of Extra.
	Force bool
}

// WithDefaults returns o with the values that are always sent filled in:
// task transcribe, endpoint audio-prod (audio-turbo when only the turbo
// model was chosen), the endpoint's model, format json.
func (o Options) WithDefaults() Options {
	if o.Task == "" {
		o.Task = TaskTranscribe
	}
	if o.Endpoint == "" {
		o.Endpoint = EndpointProd
		if o.Model == ModelTurbo {
			o.Endpoint = EndpointTurbo
		}
	}
	if o.Model == "" {
		o.Model = ModelFor(o.Endpoint)
	}
	if o.ResponseFormat == "" {
		o.ResponseFormat = "json"
	}
	return o
}

// FieldError names the option that breaks the API's documented rules.
type FieldError struct {
	Field   string // the API's field name, e.g. "diarize"
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate checks o, after WithDefaults, against the documented rules, so
// that nobody uploads a gigabyte to be told that a field is wrong. It
// returns the first problem as a *FieldError.
func (o Options) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	translate := o.Task == TaskTranslate
	switch {
	case !slices.Contains(Tasks, o.Task):
		return bad("task", "%q is not a task; use %s", o.Task, orList(Tasks))
	case !slices.Contains(Endpoints, o.Endpoint):
		return bad("endpoint_id", "%q is not an endpoint; use %s", o.Endpoint, orList(Endpoints))
	case o.Model != ModelFor(o.Endpoint):
		if o.Model == ModelProd || o.Model == ModelTurbo {
			return bad("model", "%s does not run on %s; use %s there, or pick the other endpoint",
				o.Model, o.Endpoint, ModelFor(o.Endpoint))
		}
		return bad("model", "%q is not a model; %s runs %s", o.Model, o.Endpoint, ModelFor(o.Endpoint))
	case !slices.Contains(ResponseFormats, o.ResponseFormat):
		return bad("response_format", "%q is not a format; use %s", o.ResponseFormat, orList(ResponseFormats))
	}
	if o.Language != "" {
		ok := slices.Contains(Languages, o.Language)
		if slices.Contains(ChineseScripts, o.Language) {
			if translate {
				return bad("language", "%s is for transcription only; use zh to translate from Chinese", o.Language)
			}
			ok = true
		}
		if !ok {
			return bad("language", "%q is not a supported language code; use a lowercase ISO 639-1 code such as en, de or zh, or leave it empty to detect", o.Language)
		}
	}
	if o.Temperature != "" {
		if err := checkTemperature(o.Temperature); err != "" {
			return bad("temperature", "%s", err)
		}
	}
	var word bool
	if o.TimestampGranularities != "" {
		parts := strings.Split(o.TimestampGranularities, ",")
		seen := map[string]bool{}
		for _, p := range parts {
			if p != "word" && p != "segment" || seen[p] {
				return bad("timestamp_granularities", "%q is not valid; use word, segment or word,segment", o.TimestampGranularities)
			}
			seen[p] = true
		}
		word = seen["word"]
		if o.ResponseFormat != "verbose_json" {
			return bad("timestamp_granularities", "needs response_format verbose_json")
		}
	}
	if translate {
		switch {
		case o.Diarize:
			return bad("diarize", "not available for translation; transcribe instead")
		case o.MinSpeakers != 0:
			return bad("min_speakers", "not available for translation")
		case o.MaxSpeakers != 0:
			return bad("max_speakers", "not available for translation")
		}
	}
	if o.Diarize && (o.ResponseFormat != "verbose_json" || !word) {
		return bad("diarize", "needs response_format verbose_json and word in timestamp_granularities")
	}
	for _, s := range []struct {
		field string
		n     int
	}{{"min_speakers", o.MinSpeakers}, {"max_speakers", o.MaxSpeakers}} {
		switch {
		case s.n < 0:
			return bad(s.field, "must be at least 1 (0 leaves it unset)")
		case s.n > 0 && !o.Diarize:
			return bad(s.field, "only with diarize")
		}
	}
	if o.MinSpeakers > 0 && o.MaxSpeakers > 0 && o.MinSpeakers > o.MaxSpeakers {
		return bad("min_speakers", "%d is more than max_speakers %d", o.MinSpeakers, o.MaxSpeakers)
	}
	if o.VADModel != "" && !slices.Contains(VADModels, o.VADModel) {
		return bad("vad_model", "%q is not a VAD model; use %s", o.VADModel, orList(VADModels))
	}
	switch {
	case o.AlignmentModel == "gentle":
		return bad("alignment_model", "gentle runs on dedicated endpoints only; use %s", orList(AlignmentModels))
	case o.AlignmentModel != "" && !slices.Contains(AlignmentModels, o.AlignmentModel):
		return bad("alignment_model", "%q is not an alignment model; use %s", o.AlignmentModel, orList(AlignmentModels))
	case o.AlignmentModel == "tdnn_ffn" && o.Language != "" && o.Language != "en":
		return bad("alignment_model", "tdnn_ffn aligns English only; use mms_fa for %s", o.Language)
	}
	if o.Preprocessing != "" && !slices.Contains(Preprocessings, o.Preprocessing) {
		return bad("preprocessing", "%q is not a preprocessing mode; use %s", o.Preprocessing, orList(Preprocessings))
	}
	return nil
}

// checkTemperature returns what is wrong with a temperature or a fallback
// list of them, or "".
func checkTemperature(s string) string {
	for _, p := range strings.Split(s, ",") {
		t, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(t) || t < 0 || t > 1 {
			return fmt.Sprintf("%q is not valid; use a number from 0 to 1, or a list like 0,0.2,0.4", s)
		}
	}
	return ""
}

func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// Field is one multipart form field.
type Field struct{ Name, Value string }

// Fields returns the multipart fields for o, except the file, in a fixed
// order: model always, the others only when set.
func (o Options) Fields() []Field {
	fs := []Field{{"model", o.Model}}
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, Field{name, value})
		}
	}
	add("response_format", o.ResponseFormat)
	add("language", o.Language)
	add("prompt", o.Prompt)
	add("temperature", o.Temperature)
	add("timestamp_granularities", o.TimestampGranularities)
	if o.Diarize {
		add("diarize", "true")
	}
	if o.MinSpeakers != 0 {
		add("min_speakers", strconv.Itoa(o.MinSpeakers))
	}
	if o.MaxSpeakers != 0 {
		add("max_speakers", strconv.Itoa(o.MaxSpeakers))
	}
	add("vad_model", o.VADModel)
	add("alignment_model", o.AlignmentModel)
	add("preprocessing", o.Preprocessing)
	return fs
}

// Extra returns every set field except task, endpoint and model, keyed by
// the API's field names: the history's "options" map.
func (o Options) Extra() map[string]string {
	m := map[string]string{}
	for _, f := range o.Fields()[1:] {
		m[f.Name] = f.Value
	}
	return m
}

// OptionsFrom rebuilds Options from a history entry (the inverse of Extra),
// for resubmits. An unknown key or a malformed value is a *FieldError; the
// result is not validated.
func OptionsFrom(task, endpoint, model string, extra map[string]string) (Options, error) {
	o := Options{Task: task, Endpoint: endpoint, Model: model}
	for name, v := range extra {
		var err error
		switch name {
		case "response_format":
			o.ResponseFormat = v
		case "language":
			o.Language = v
		case "prompt":
			o.Prompt = v
		case "temperature":
			o.Temperature = v
		case "timestamp_granularities":
			o.TimestampGranularities = v
		case "diarize":
			o.Diarize, err = strconv.ParseBool(v)
		case "min_speakers":
			o.MinSpeakers, err = strconv.Atoi(v)
		case "max_speakers":
			o.MaxSpeakers, err = strconv.Atoi(v)
		case "vad_model":
			o.VADModel = v
		case "alignment_model":
			o.AlignmentModel = v
		case "preprocessing":
			o.Preprocessing = v
		default:
			return Options{}, &FieldError{Field: name, Problem: "not an option fwbatch knows"}
		}
		if err != nil {
			return Options{}, &FieldError{Field: name, Problem: fmt.Sprintf("%q is not a valid value", v)}
		}
	}
	return o, nil
}
