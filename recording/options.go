package recording

import (
	"slices"
	"strconv"
	"strings"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Normalise returns o as the server would read it: submit's defaults
// (task, endpoint, model, response format) and the API's documented ones
// for fields left unset (temperature 0, segment timestamps for
// verbose_json, at least one speaker when diarizing, the silero VAD, the
// mms_fa aligner, no preprocessing), the temperature and the timestamp
// granularities in one spelling, and Force (never sent) cleared. Two
// requests ask the same of the server exactly when their normalised
// options are equal (==).
func Normalise(o submit.Options) submit.Options {
	o = o.WithDefaults()
	o.Force = false
	o.Temperature = normalTemperature(o.Temperature)
	if o.ResponseFormat == "verbose_json" {
		grans := strings.Split(o.TimestampGranularities, ",")
		if o.TimestampGranularities == "" {
			grans = []string{"segment"}
		}
		slices.Sort(grans) // "segment,word" and "word,segment" ask the same
		o.TimestampGranularities = strings.Join(slices.Compact(grans), ",")
	}
	if o.Diarize && o.MinSpeakers == 0 {
		o.MinSpeakers = 1
	}
	if o.VADModel == "" {
		o.VADModel = "silero"
	}
	if o.AlignmentModel == "" {
		o.AlignmentModel = "mms_fa"
	}
	if o.Preprocessing == "" {
		o.Preprocessing = "none"
	}
	return o
}

// normalTemperature spells each number of a temperature or fallback list
// one way ("0.0" and "0" are the same); "" is the API's default, 0. A
// value that is not a list of numbers stays as it is.
func normalTemperature(t string) string {
	if t == "" {
		return "0"
	}
	parts := strings.Split(t, ",")
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return t
		}
		parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// optionsOf is a submission's request options, normalised; false when the
// history holds an option this fwbatch does not know (a newer fwbatch, or
// a hand edit): such a request is never equal to one made here.
func optionsOf(sub *store.Submission) (submit.Options, bool) {
	o, err := submit.OptionsFrom(sub.Task, sub.Endpoint, sub.Model, sub.Options)
	if err != nil {
		return submit.Options{}, false
	}
	return Normalise(o), true
}
