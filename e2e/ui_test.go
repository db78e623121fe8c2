package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/tmuxtest"
	"github.com/fwbatch/fwbatch/store"
)

const wait = 15 * time.Second

// selectLine moves the highlight ("›") to the line holding text.
func selectLine(t *testing.T, s *tmuxtest.Session, text string) {
	t.Helper()
	highlight(t, s, "›", text)
}

// highlight moves the highlight (cursor, "›" or ">") to the line holding
// text, which must be on screen: Down or Up, one press at a time, each
// time waiting for the highlight to move before the next.
func highlight(t *testing.T, s *tmuxtest.Session, cursor, text string) {
	t.Helper()
	// at is the highlighted line's index and the index of text's line.
	at := func(scr string) (cur, target int) {
		cur, target = -1, -1
		for i, l := range strings.Split(scr, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), cursor+" ") && cur < 0 {
				cur = i
			}
			if strings.Contains(l, text) && target < 0 {
				target = i
			}
		}
		return cur, target
	}
	scr := s.Screen()
	for range 40 {
		cur, target := at(scr)
		switch {
		case cur < 0 || target < 0:
			t.Fatalf("highlighting %q: no highlighted line or no such line on screen:\n%s", text, scr)
		case cur == target:
			return
		case cur < target:
			s.Keys("Down")
		default:
			s.Keys("Up")
		}
		scr = s.WaitFor(wait, fmt.Sprintf("the highlight to move towards %q", text), func(scr string) bool {
			c, _ := at(scr)
			return c != cur
		})
	}
	t.Fatalf("could not highlight %q:\n%s", text, scr)
}

// focused waits until the form's focused field (marked "┃") is title.
func focused(t *testing.T, s *tmuxtest.Session, title string) {
	t.Helper()
	s.WaitFor(wait, "focus on "+title, func(scr string) bool { return strings.Contains(scr, "┃ "+title) })
}

// fieldValue is the line under a focused field's title.
func fieldValue(scr, title string) string {
	lines := strings.Split(scr, "\n")
	for i, l := range lines {
		if strings.Contains(l, "┃ "+title) && i+1 < len(lines) {
			return lines[i+1]
		}
	}
	return ""
}

// TestPickSubmitFollowSave is issue 4's main flow, by keyboard: pick an audio
// file in a folder, choose audio-turbo and srt, submit, watch the progress,
// see the batch id in History, wait for the job, open the transcript and save
// it next to the audio. Then the history file, the saved .srt and what the
// fake received are checked.
func TestPickSubmitFollowSave(t *testing.T) {
	t.Parallel()
	f := startFake(t, "-polls", "2", "-latency", "1500ms")
	u := newUser(t, f)
	dir := audioDir(t, map[string]string{"talk.flac": "hello.flac", "intro.wav": "hello.wav", "notes.txt": "not-audio.txt"}, 8<<20)
	s := tmuxtest.Start(t, 100, 30, u.env, u.ui(dir)...)

	s.WaitText(wait, "talk.flac")
	selectLine(t, s, "talk.flac")
	s.Keys("Enter")

	focused(t, s, "Task")
	s.Keys("Tab")
	focused(t, s, "Endpoint")
	s.Keys("Right")
	s.WaitFor(wait, "audio-turbo chosen", func(scr string) bool {
		return strings.Contains(fieldValue(scr, "Endpoint"), "audio-turbo (whisper-v3-turbo)")
	})
	s.Keys("Tab")
	focused(t, s, "Response format")
	// Right through the formats, each press seen on screen before the next.
	for v := fieldValue(s.Screen(), "Response format"); !strings.Contains(v, "srt"); {
		s.Keys("Right")
		before := v
		s.WaitFor(wait, "the response format to change from "+strings.TrimSpace(before), func(scr string) bool {
			v = fieldValue(scr, "Response format")
			return v != before
		})
		if strings.Contains(v, "verbose_json") || strings.Contains(v, "vtt") {
			t.Fatalf("went past srt: %q\n%s", v, s.Screen())
		}
	}
	s.Keys("C-s")

	// The upload's progress: the file's own line with a percentage.
	prog := s.WaitFor(wait, "upload progress", func(scr string) bool {
		return strings.Contains(scr, "Submitting") && strings.Contains(scr, "talk.flac") && strings.Contains(scr, "%")
	})
	noCanary(t, "the Submitting screen", prog)

	// History with the new batch id.
	var batch string
	hist := s.WaitFor(wait, "the batch id in History", func(scr string) bool {
		if jobs := f.jobs(); len(jobs) == 1 {
			batch = jobs[0].BatchID
			return strings.Contains(scr, "History") && strings.Contains(scr, batch[:18])
		}
		return false
	})
	noCanary(t, "the History screen", hist)

	// The job completes in the background; its transcript opens and saves.
	s.WaitFor(30*time.Second, "the job to complete", func(scr string) bool { return strings.Contains(scr, "✓ completed") })
	s.Keys("Enter")
	details := s.WaitFor(wait, "the transcript", func(scr string) bool { return strings.Contains(scr, "-->") })
	if !strings.Contains(details, batch) {
		t.Fatalf("details do not show the batch id %s:\n%s", batch, details)
	}
	s.Keys("s")
	saved := filepath.Join(dir, "talk.srt")
	s.WaitText(wait, "saved "+saved)

	// The saved file is the job's body, byte for byte.
	job := f.jobs()[0]
	got, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != job.Body || !strings.Contains(job.Body, "-->") {
		t.Fatalf("talk.srt is not the job's srt body:\n%q\nwant:\n%q", got, job.Body)
	}

	// The fake got the turbo model and srt, with the raw key.
	var posts int
	for _, r := range f.requests() {
		if r.Method != "POST" {
			continue
		}
		posts++
		if r.Fields["model"] != "whisper-v3-turbo" || r.Fields["response_format"] != "srt" || r.Query != "endpoint_id=audio-turbo" {
			t.Fatalf("the fake got model=%q response_format=%q query %q", r.Fields["model"], r.Fields["response_format"], r.Query)
		}
		if r.AuthIsKey == nil || !*r.AuthIsKey || r.AuthBearer {
			t.Fatalf("the upload did not carry the raw key: %+v", r)
		}
	}
	if posts != 1 {
		t.Fatalf("the fake saw %d uploads, want 1", posts)
	}

	// The history: one submission, submitted then completed, result saved.
	st, err := store.Open(u.historyPath())
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	subs := h.Submissions()
	if len(subs) != 1 || !h.Report().Clean() {
		t.Fatalf("history holds %d submissions (report %q), want 1", len(subs), h.Report().String())
	}
	sub := subs[0]
	switch {
	case sub.File != filepath.Join(dir, "talk.flac"), sub.Endpoint != "audio-turbo", sub.Model != "whisper-v3-turbo",
		sub.Options["response_format"] != "srt", sub.Outcome != store.OutcomeSubmitted, sub.BatchID != batch,
		sub.ServerStatus != "completed", sub.ResultPath == "":
		t.Fatalf("history entry is wrong: %+v", sub)
	}
	if res, err := os.ReadFile(sub.ResultPath); err != nil || string(res) != job.Body {
		t.Fatalf("results folder copy %s: %v", sub.ResultPath, err)
	}
	raw, err := os.ReadFile(u.historyPath())
	if err != nil {
		t.Fatal(err)
	}
	noCanary(t, "the history file", string(raw))
	kinds := []string{}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		kinds = append(kinds, strings.Split(strings.Split(l, `"kind":"`)[1], `"`)[0])
	}
	if strings.Join(kinds[:2], ",") != "started,submitted" || kinds[len(kinds)-1] != "status" {
		t.Fatalf("history events: %v", kinds)
	}

	s.Keys("Escape")
	s.WaitText(wait, "History")
	s.Keys("q")
	s.WaitFor(wait, "fwbatch to exit", func(string) bool { dead, _ := s.Dead(); return dead })
}
