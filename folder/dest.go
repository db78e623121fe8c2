package folder

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fwbatch/fwbatch/submit"
)

// output is one transcript file to write for a file: where, in which
// format, and what goes in it.
type output struct {
	path   string
	format string // an output format (srt …), or the response format for the result as returned
}

// bases decides where each file's transcripts go, as a path without the
// extension: next to the audio, or under out at the audio's path below the
// argument (--out mirrors the tree). A transcript is named after its audio
// (talk.flac → talk.srt), unless another audio file bound for the same
// folder has the same name without its extension (talk.flac and talk.wav):
// then after its whole name (talk.flac.srt, talk.wav.srt), so that neither
// overwrites the other's. Two files still bound for one name (two
// arguments mirrored into one --out) get an error instead.
func bases(files []found, out string) ([]string, []error) {
	dirOf := func(f found) string {
		if out == "" {
			return filepath.Dir(f.Path)
		}
		return filepath.Join(out, filepath.Dir(f.Rel))
	}
	stem := func(p string) string { return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) }
	count := map[string]int{}
	for _, f := range files {
		count[filepath.Join(dirOf(f), stem(f.Path))]++
	}
	out2 := make([]string, len(files))
	errs := make([]error, len(files))
	taken := map[string]string{}
	for i, f := range files {
		b := filepath.Join(dirOf(f), stem(f.Path))
		if count[b] > 1 {
			b = filepath.Join(dirOf(f), filepath.Base(f.Path))
		}
		if other, ok := taken[b]; ok {
			errs[i] = fmt.Errorf("its transcripts would go where those of %s go (%s.*); sync the two separately, or with different --out folders", other, b)
			continue
		}
		taken[b] = f.Shown
		out2[i] = b
	}
	return out2, errs
}

// outputs lists the transcript files for a base path: one per output
// format, or, with none asked for, the result as returned (.json for json
// and verbose_json, .txt for text, .srt, .vtt).
func outputs(base, responseFormat string, formats []string) []output {
	if len(formats) == 0 {
		return []output{{path: base + submit.ResultExt(responseFormat), format: responseFormat}}
	}
	out := make([]output, len(formats))
	for i, f := range formats {
		out[i] = output{path: base + submit.OutputExt(f), format: f}
	}
	return out
}

// render is the content of o from a result in responseFormat.
func render(name, responseFormat string, result []byte, o output) ([]byte, error) {
	if o.format == responseFormat {
		return result, nil
	}
	return submit.Render(name, responseFormat, result, o.format)
}
