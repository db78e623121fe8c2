package fakeapi

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The fake "hears" the same few sentences in every file, so that every
// format carries the same words. Translations come out in English, like the
// real ones.
var script = []string{
	"Welcome to the fwbatch demo.",
	"This transcript comes from a fake of the Fireworks batch API.",
	"Every response format carries the same words.",
	"Thanks for listening.",
}

const (
	wordMillis  = 350 // each word lasts this long
	pauseMillis = 500 // between sentences
)

type word struct {
	Word        string  `json:"word"`
	Start       float64 `json:"start"`
	End         float64 `json:"end"`
	Probability float64 `json:"probability"`
	SpeakerID   string  `json:"speaker_id,omitempty"`
}

type segment struct {
	ID        int     `json:"id"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Text      string  `json:"text"`
	SpeakerID string  `json:"speaker_id,omitempty"`
	Words     []word  `json:"words,omitempty"`
}

type verbose struct {
	Task     string    `json:"task"`
	Language string    `json:"language"`
	Duration float64   `json:"duration"`
	Text     string    `json:"text"`
	Words    []word    `json:"words,omitempty"`
	Segments []segment `json:"segments"`
}

// render returns the content type and the serialized result for a job
// with the given fields, as the synchronous API would answer it, for a file
// in which the fake "hears" the sentences of script.
func render(task string, fields map[string]string, script []string) (contentType, body string) {
	diarize, _ := parseBool(fields["diarize"])
	grans := fields["timestamp_granularities"]
	words := strings.Contains(grans, "word")
	segmentWords := grans == "" || strings.Contains(grans, "segment")

	var (
		segs []segment
		all  []word
		ms   int
	)
	for i, sentence := range script {
		seg := segment{ID: i, Start: secs(ms), Text: sentence}
		if diarize {
			seg.SpeakerID = fmt.Sprintf("SPEAKER_%02d", i%2)
		}
		for j, w := range strings.Fields(sentence) {
			wd := word{Word: w, Start: secs(ms), End: secs(ms + wordMillis), Probability: 0.9 + float64((i+j)%10)/100}
			wd.SpeakerID = seg.SpeakerID
			all = append(all, wd)
			seg.Words = append(seg.Words, wd)
			ms += wordMillis
		}
		seg.End = secs(ms)
		if !words || !segmentWords {
			seg.Words = nil
		}
		segs = append(segs, seg)
		ms += pauseMillis
	}
	text := strings.Join(script, " ")

	const jsonType, textType = "application/json", "text/plain; charset=utf-8"
	switch fields["response_format"] {
	case "text":
		return textType, text + "\n"
	case "srt":
		var b strings.Builder
		for i, s := range segs {
			fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, stamp(s.Start, ','), stamp(s.End, ','), s.Text)
		}
		return textType, b.String()
	case "vtt":
		var b strings.Builder
		b.WriteString("WEBVTT\n\n")
		for _, s := range segs {
			fmt.Fprintf(&b, "%s --> %s\n%s\n\n", stamp(s.Start, '.'), stamp(s.End, '.'), s.Text)
		}
		return textType, b.String()
	case "verbose_json":
		lang := fields["language"]
		if lang == "" || task == "translate" {
			lang = "en"
		}
		v := verbose{Task: task, Language: lang, Duration: secs(ms - pauseMillis), Text: text, Segments: segs}
		if words {
			v.Words = all
		}
		return jsonType, mustJSON(v)
	}
	return jsonType, mustJSON(struct {
		Text string `json:"text"`
	}{text})
}

func secs(ms int) float64 { return float64(ms) / 1000 }

// stamp formats seconds as HH:MM:SS,mmm (srt) or HH:MM:SS.mmm (vtt).
func stamp(s float64, sep byte) string {
	ms := int(s*1000 + 0.5)
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
