package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Details saves a transcript in the format the user picks: as the API
// returned it, or any format that can be made from it (a verbose_json
// result gives srt, vtt, txt, tsv and json; submit.Render). f cycles
// through them; s and o save in the one shown.

// saveFormats are the formats sub's result can be saved in: "" (as
// returned) first, then each output format made from it that is not the
// result itself again.
func saveFormats(sub *store.Submission) []string {
	out := []string{""}
	rf := formatOf(sub)
	for _, f := range submit.OutputFormats {
		if submit.CanRender(rf, f) && !sameAsReturned(rf, f) {
			out = append(out, f)
		}
	}
	return out
}

// sameAsReturned reports whether output format f is the result as it came.
func sameAsReturned(responseFormat, f string) bool {
	switch responseFormat {
	case "json", "verbose_json":
		return f == "json"
	case "text":
		return f == "txt"
	}
	return f == responseFormat
}

// nextSaveFormat moves the save format on to the next one sub allows.
func (s *detailsScreen) nextSaveFormat(sub *store.Submission) {
	fs := saveFormats(sub)
	i := slices.Index(fs, s.saveFormat)
	s.saveFormat = fs[(i+1)%len(fs)]
}

// saveFormatOf is the save format for sub: the one picked, if sub allows it.
func (s *detailsScreen) saveFormatOf(sub *store.Submission) string {
	if slices.Contains(saveFormats(sub), s.saveFormat) {
		return s.saveFormat
	}
	return ""
}

// formatKey is Details' key for the save format, saying which it is.
func (s *detailsScreen) formatKey(sub *store.Submission) key.Binding {
	help := "format: as returned"
	if sub != nil {
		if f := s.saveFormatOf(sub); f != "" {
			help = "format: " + f
		}
	}
	return key.NewBinding(key.WithKeys("f"), key.WithHelp("f", help))
}

// saveExt is the file extension of a transcript of sub saved in format f.
func saveExt(sub *store.Submission, f string) string {
	if f == "" {
		return submit.ResultExt(formatOf(sub))
	}
	return submit.OutputExt(f)
}
