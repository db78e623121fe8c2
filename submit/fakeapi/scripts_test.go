package fakeapi

import (
	"strings"
	"testing"
)

// TestScripts: a file named in Config.Scripts is transcribed with its own
// sentences, in every format; other files carry the default script.
func TestScripts(t *testing.T) {
	s := New(Config{Scripts: map[string][]string{"memo.ogg": {"Send it by Friday.", "Thanks."}}})
	j := s.newJob("transcribe", "audio-prod", map[string]string{"response_format": "srt"}, "memo.ogg")
	if want := "1\n00:00:00,000 --> 00:00:01,400\nSend it by Friday.\n\n2\n00:00:01,900 --> 00:00:02,250\nThanks.\n\n"; j.Body != want {
		t.Errorf("memo.ogg srt:\n%q\nwant\n%q", j.Body, want)
	}
	j = s.newJob("transcribe", "audio-prod", map[string]string{"response_format": "text"}, "other.ogg")
	if !strings.HasPrefix(j.Body, "Welcome to the fwbatch demo.") {
		t.Errorf("other.ogg: %q", j.Body)
	}
}
