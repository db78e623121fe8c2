package submit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Transcript is a result made readable: the text, and for verbose_json the
// timed segments with their speakers when diarized.
type Transcript struct {
	Text     string
	Language string
	Duration float64 // seconds; 0 when unknown
	Segments []Segment
}

// Segment is a stretch of speech.
type Segment struct {
	Start, End float64 // seconds
	Speaker    string  // "" unless diarized
	Text       string
}

// ParseTranscript reads a result (as Job.Result returns it) for display.
// text, srt and vtt stay text as they are; json and verbose_json are parsed.
func ParseTranscript(format string, data []byte) (*Transcript, error) {
	switch format {
	case "json":
		var r struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(data, &r); err != nil || r.Text == nil {
			return nil, fmt.Errorf("the json result has no text field; save it and read it as is")
		}
		return &Transcript{Text: *r.Text}, nil
	case "verbose_json":
		return parseVerbose(data)
	}
	return &Transcript{Text: string(data)}, nil
}

type verboseWord struct {
	Word      string  `json:"word"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	SpeakerID string  `json:"speaker_id"`
}

func parseVerbose(data []byte) (*Transcript, error) {
	var r struct {
		Language string        `json:"language"`
		Duration float64       `json:"duration"`
		Text     *string       `json:"text"`
		Words    []verboseWord `json:"words"`
		Segments []struct {
			Start     float64       `json:"start"`
			End       float64       `json:"end"`
			Text      string        `json:"text"`
			SpeakerID string        `json:"speaker_id"`
			Words     []verboseWord `json:"words"`
		} `json:"segments"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("the verbose_json result is not valid JSON (%v); save it and read it as is", err)
	}
	t := &Transcript{Language: r.Language, Duration: r.Duration}
	if r.Text != nil {
		t.Text = *r.Text
	}
	for _, s := range r.Segments {
		seg := Segment{Start: s.Start, End: s.End, Speaker: s.SpeakerID, Text: strings.TrimSpace(s.Text)}
		if seg.Speaker == "" {
			seg.Speaker = firstSpeaker(s.Words)
		}
		if seg.Speaker == "" {
			seg.Speaker = speakerAt(r.Words, s.Start, s.End)
		}
		t.Segments = append(t.Segments, seg)
	}
	if len(t.Segments) == 0 {
		t.Segments = segmentsFromWords(r.Words)
	}
	if t.Text == "" {
		var parts []string
		for _, s := range t.Segments {
			parts = append(parts, s.Text)
		}
		t.Text = strings.Join(parts, " ")
	}
	return t, nil
}

func firstSpeaker(words []verboseWord) string {
	for _, w := range words {
		if w.SpeakerID != "" {
			return w.SpeakerID
		}
	}
	return ""
}

// speakerAt is the speaker of the first word inside [start, end].
func speakerAt(words []verboseWord, start, end float64) string {
	for _, w := range words {
		if w.SpeakerID != "" && w.Start >= start && w.End <= end {
			return w.SpeakerID
		}
	}
	return ""
}

// segmentsFromWords groups consecutive words of one speaker.
func segmentsFromWords(words []verboseWord) []Segment {
	var segs []Segment
	for _, w := range words {
		text := strings.TrimSpace(w.Word)
		if n := len(segs); n > 0 && segs[n-1].Speaker == w.SpeakerID {
			segs[n-1].End = w.End
			segs[n-1].Text += " " + text
			continue
		}
		segs = append(segs, Segment{Start: w.Start, End: w.End, Speaker: w.SpeakerID, Text: text})
	}
	return segs
}
