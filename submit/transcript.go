package submit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
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
	words := newTimedWords(r.Words)
	for _, s := range r.Segments {
		seg := Segment{Start: s.Start, End: s.End, Speaker: s.SpeakerID, Text: strings.TrimSpace(s.Text)}
		if seg.Speaker == "" {
			seg.Speaker = mainSpeaker(s.Words)
		}
		if seg.Speaker == "" {
			seg.Speaker = mainSpeaker(words.within(s.Start, s.End))
		}
		t.Segments = append(t.Segments, seg)
	}
	if len(t.Segments) == 0 {
		t.Segments = segmentsFromWords(words.words)
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

// mainSpeaker is the speaker of most of words that have one (the earliest
// of them on a tie): when only the words of a segment carry speaker ids,
// the segment goes to whoever says most of it. "" when none has one.
func mainSpeaker(words []verboseWord) string {
	count := map[string]int{}
	best := ""
	for _, w := range words {
		if w.SpeakerID == "" {
			continue
		}
		count[w.SpeakerID]++
		if best == "" || count[w.SpeakerID] > count[best] {
			best = w.SpeakerID
		}
	}
	return best
}

// timedWords are a result's words sorted by start time, to find those of a
// segment in O(log n + matches): a long recording's thousands of segments
// must not each scan every word.
type timedWords struct {
	words   []verboseWord
	maxHalf float64 // half the longest word's duration
}

func newTimedWords(words []verboseWord) timedWords {
	less := func(a, b verboseWord) int { return cmp.Compare(a.Start, b.Start) }
	if !slices.IsSortedFunc(words, less) { // the API sends them in order
		words = slices.Clone(words)
		slices.SortStableFunc(words, less)
	}
	tw := timedWords{words: words}
	for _, w := range words {
		tw.maxHalf = max(tw.maxHalf, (w.End-w.Start)/2)
	}
	return tw
}

// within returns the words whose middle lies in [start, end].
func (tw timedWords) within(start, end float64) []verboseWord {
	// A word whose middle is at or after start starts at or after
	// start - maxHalf.
	i, _ := slices.BinarySearchFunc(tw.words, start-tw.maxHalf, func(w verboseWord, t float64) int {
		return cmp.Compare(w.Start, t)
	})
	var out []verboseWord
	for _, w := range tw.words[i:] {
		if w.Start > end {
			break
		}
		if mid := (w.Start + w.End) / 2; mid >= start && mid <= end {
			out = append(out, w)
		}
	}
	return out
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
