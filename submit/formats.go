package submit

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// OutputFormats are the formats fwbatch writes locally from one result, in
// the order `--output-format all` writes them. A verbose_json result gives
// every one of them; another result only its own (and json's text, txt).
var OutputFormats = []string{"srt", "vtt", "txt", "tsv", "json"}

// ParseOutputFormats reads an --output-format value: a comma-separated list
// of OutputFormats ("srt,vtt,txt", any case, spaces allowed) or "all".
// Repeats are dropped; the order is kept. Errors are one line naming the
// flag and what to use.
func ParseOutputFormats(value string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(value, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case f == "all":
			return slices.Clone(OutputFormats), nil
		case !slices.Contains(OutputFormats, f):
			return nil, fmt.Errorf("--output-format %s: %q is not an output format; use %s, or all", value, f, orList(OutputFormats))
		case !slices.Contains(out, f):
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--output-format %q: name one or more of %s, or all", value, strings.Join(OutputFormats, ", "))
	}
	return out, nil
}

// OutputExt is the file extension of an output format: ".srt", ".tsv", ….
func OutputExt(format string) string { return "." + format }

// CanRender reports whether a result in responseFormat can be written as
// output format out: everything from verbose_json, its own format from the
// others (text is txt), and txt from json's text too.
func CanRender(responseFormat, out string) bool {
	switch responseFormat {
	case "verbose_json":
		return slices.Contains(OutputFormats, out)
	case "json":
		return out == "json" || out == "txt"
	case "text":
		return out == "txt"
	case "srt", "vtt":
		return out == responseFormat
	}
	return false
}

// Render writes result, a job's result in responseFormat exactly as the API
// returned it, in output format out. name says which job or file it is
// ("talk.flac (batch 8b0f…)"), for errors; each error is one line.
//
// From verbose_json: srt and vtt have one cue per segment, as the API cut
// them, with its times to the millisecond; txt is the text, or one line per
// segment when there are speakers; tsv has the columns start, end (seconds),
// speaker and text; json is the result as it came. A diarized speaker comes
// before the text as "[SPEAKER_00] " (tsv: its column). Line breaks in a
// segment's text become spaces; segments without text make no cue and no
// txt line (tsv keeps them). A result in another format is written as it
// is, in its own format only.
func Render(name, responseFormat string, result []byte, out string) ([]byte, error) {
	if !slices.Contains(OutputFormats, out) {
		return nil, fmt.Errorf("%s: %q is not an output format; use %s", name, out, orList(OutputFormats))
	}
	if !CanRender(responseFormat, out) {
		return nil, fmt.Errorf("%s: cannot write %s from a %s result, only %s; a verbose_json result gives every format",
			name, out, responseFormat, orList(renderable(responseFormat)))
	}
	switch {
	case out == "json", responseFormat == out, responseFormat == "text":
		return result, nil
	case responseFormat == "json":
		t, err := ParseTranscript("json", result)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return []byte(strings.TrimSpace(t.Text) + "\n"), nil
	}
	t, err := ParseTranscript("verbose_json", result)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch out {
	case "srt":
		return t.srt(), nil
	case "vtt":
		return t.vtt(), nil
	case "tsv":
		return t.tsv(), nil
	}
	return t.txt(), nil
}

func renderable(responseFormat string) []string {
	var out []string
	for _, f := range OutputFormats {
		if CanRender(responseFormat, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// cueText is a segment's text on one line, with its speaker, "" when it
// has no text.
func (s Segment) cueText() string {
	text := oneLineText(s.Text)
	if text == "" || s.Speaker == "" {
		return text
	}
	return "[" + oneLineText(s.Speaker) + "] " + text
}

// oneLineText joins the lines of s with spaces: a blank line would end a
// subtitle cue, and a line break would start a new tsv row.
func oneLineText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029'
	}), " ")
}

func (t *Transcript) srt() []byte {
	var b strings.Builder
	n := 0
	for _, s := range t.Segments {
		text := s.cueText()
		if text == "" {
			continue
		}
		n++
		// SRT has no escapes, and readers take any line holding "-->" for
		// a cue's times: a space keeps the text readable and never one.
		text = strings.ReplaceAll(text, "-->", "-- >")
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", n, clock(s.Start, ','), clock(s.End, ','), text)
	}
	return []byte(b.String())
}

// vttEscaper escapes what WebVTT cue text reads as markup (& and <), and
// "-->", which cue text may not hold: its ">" becomes the reference &gt;.
// A lone ">" stays, as some readers know only &amp; and &lt;.
var vttEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", "-->", "--&gt;")

func (t *Transcript) vtt() []byte {
	var b strings.Builder
	b.WriteString("WEBVTT\n\n")
	for _, s := range t.Segments {
		text := s.cueText()
		if text == "" {
			continue
		}
		fmt.Fprintf(&b, "%s --> %s\n%s\n\n", clock(s.Start, '.'), clock(s.End, '.'), vttEscaper.Replace(text))
	}
	return []byte(b.String())
}

func (t *Transcript) tsv() []byte {
	var b strings.Builder
	b.WriteString("start\tend\tspeaker\ttext\n")
	noTabs := strings.NewReplacer("\t", " ")
	for _, s := range t.Segments {
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", seconds(s.Start), seconds(s.End),
			noTabs.Replace(oneLineText(s.Speaker)), noTabs.Replace(oneLineText(s.Text)))
	}
	return []byte(b.String())
}

func (t *Transcript) txt() []byte {
	diarized := slices.ContainsFunc(t.Segments, func(s Segment) bool { return s.Speaker != "" })
	if !diarized {
		return []byte(strings.TrimSpace(t.Text) + "\n")
	}
	var b strings.Builder
	for _, s := range t.Segments {
		if text := s.cueText(); text != "" {
			b.WriteString(text + "\n")
		}
	}
	return []byte(b.String())
}

// maxSeconds bounds times so that milliseconds fit an int64; no recording
// is 30,000 years long, a broken result may say so.
const maxSeconds = 1e12

// millis is t seconds in whole milliseconds, rounded; negative and
// non-numbers are 0.
func millis(t float64) int64 {
	if !(t > 0) {
		return 0
	}
	return int64(math.Round(min(t, maxSeconds) * 1000))
}

// clock formats t as HH:MM:SS,mmm (srt, sep ',') or HH:MM:SS.mmm (vtt, sep
// '.'); hours grow past two digits beyond 99 h, as both formats allow.
func clock(t float64, sep byte) string {
	ms := millis(t)
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, sep, ms%1000)
}

// seconds formats t in seconds with milliseconds: "62.345".
func seconds(t float64) string {
	ms := millis(t)
	return strconv.FormatInt(ms/1000, 10) + "." + fmt.Sprintf("%03d", ms%1000)
}
