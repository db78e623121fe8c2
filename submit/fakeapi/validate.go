package fakeapi

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file is the fake's own reading of the documented field rules. It
// shares no code with package submit on purpose: the two implementations
// check each other.

var (
	modelOf = map[string]string{"audio-prod": "whisper-v3", "audio-turbo": "whisper-v3-turbo"}
	formats = []string{"json", "text", "srt", "verbose_json", "vtt"}
	// The synchronous API's fields. Translation takes all but the last three.
	commonFields = []string{"model", "response_format", "language", "prompt", "temperature",
		"timestamp_granularities", "vad_model", "alignment_model", "preprocessing"}
	diarizeFields = []string{"diarize", "min_speakers", "max_speakers"}
	languageShape = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// validate checks a submission's fields; it returns the offending field and
// what is wrong, or "" when the request is fine.
func validate(task, endpoint string, f map[string]string) (field, problem string) {
	for name := range f {
		if slices.Contains(commonFields, name) {
			continue
		}
		if slices.Contains(diarizeFields, name) {
			if task == "translate" {
				return name, "is not supported for translations"
			}
			continue
		}
		return name, "unknown field"
	}
	if m, ok := f["model"]; ok && m != modelOf[endpoint] {
		return "model", fmt.Sprintf("model %q is not served by endpoint %s (it serves %s)", m, endpoint, modelOf[endpoint])
	}
	format := "json"
	if v, ok := f["response_format"]; ok {
		if !slices.Contains(formats, v) {
			return "response_format", fmt.Sprintf("%q is not one of %s", v, strings.Join(formats, ", "))
		}
		format = v
	}
	if v, ok := f["language"]; ok {
		chinese := v == "zh-hant" || v == "zh-hans"
		if !(languageShape.MatchString(v) || chinese && task == "transcribe") {
			return "language", fmt.Sprintf("%q is not a supported language code", v)
		}
	}
	if v, ok := f["temperature"]; ok {
		for _, p := range strings.Split(v, ",") {
			t, err := strconv.ParseFloat(p, 64)
			if err != nil || math.IsNaN(t) || t < 0 || t > 1 {
				return "temperature", fmt.Sprintf("%q is not a temperature between 0 and 1 or a comma-separated list of them", v)
			}
		}
	}
	words := false
	if v, ok := f["timestamp_granularities"]; ok {
		seen := map[string]bool{}
		for _, g := range strings.Split(v, ",") {
			if (g != "word" && g != "segment") || seen[g] {
				return "timestamp_granularities", fmt.Sprintf("%q is not word, segment or word,segment", v)
			}
			seen[g] = true
		}
		if format != "verbose_json" {
			return "timestamp_granularities", "requires response_format=verbose_json"
		}
		words = seen["word"]
	}
	diarize := false
	if v, ok := f["diarize"]; ok {
		b, ok := parseBool(v)
		if !ok {
			return "diarize", fmt.Sprintf("%q is not a boolean", v)
		}
		diarize = b
	}
	if diarize && (format != "verbose_json" || !words) {
		return "diarize", "requires response_format=verbose_json and timestamp_granularities including word"
	}
	speakers := map[string]int{}
	for _, name := range []string{"min_speakers", "max_speakers"} {
		v, ok := f[name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return name, fmt.Sprintf("%q is not a positive integer", v)
		}
		if !diarize {
			return name, "requires diarize=true"
		}
		speakers[name] = n
	}
	if lo, hi := speakers["min_speakers"], speakers["max_speakers"]; lo > 0 && hi > 0 && lo > hi {
		return "min_speakers", "is greater than max_speakers"
	}
	if v, ok := f["vad_model"]; ok && v != "silero" && v != "whisperx-pyannet" {
		return "vad_model", fmt.Sprintf("%q is not silero or whisperx-pyannet", v)
	}
	if v, ok := f["alignment_model"]; ok {
		switch v {
		case "mms_fa":
		case "tdnn_ffn":
			if lang, ok := f["language"]; ok && lang != "en" {
				return "alignment_model", "tdnn_ffn supports English only"
			}
		case "gentle":
			return "alignment_model", "gentle is only available on dedicated endpoints"
		default:
			return "alignment_model", fmt.Sprintf("%q is not mms_fa, tdnn_ffn or gentle", v)
		}
	}
	if v, ok := f["preprocessing"]; ok && !slices.Contains([]string{"none", "dynamic", "soft_dynamic", "bass_dynamic"}, v) {
		return "preprocessing", fmt.Sprintf("%q is not none, dynamic, soft_dynamic or bass_dynamic", v)
	}
	return "", ""
}

// parseBool accepts what form-data booleans usually look like.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}
