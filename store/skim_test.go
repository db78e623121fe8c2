package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// briefOf is what Skim must say about a submission Load folded.
func briefOf(s *Submission) Brief {
	return Brief{ID: s.ID, File: s.File, BatchID: s.BatchID, AccountID: s.AccountID, ServerStatus: s.ServerStatus,
		ResultPath: s.ResultPath, Outcome: s.Outcome, Hidden: s.Hidden}
}

// checkSkim compares Skim with Load on the file at path: the same
// submissions, in the same order, with the same fields, with the file read
// in one piece and cut into pieces folded apart and merged (1, 2 and 7 of
// them, unless pieces says).
func checkSkim(t *testing.T, path string, pieces ...int) {
	t.Helper()
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	subs := h.Submissions()
	if len(pieces) == 0 {
		pieces = []int{1, 2, 7}
	}
	defer func(orig func(int64) int) { skimPieces = orig }(skimPieces)
	for _, pieces := range pieces {
		skimPieces = func(int64) int { return pieces }
		got, err := Skim(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(subs) {
			t.Fatalf("%s in %d pieces: Skim found %d submissions, Load %d", filepath.Base(path), pieces, len(got), len(subs))
		}
		for i, s := range subs {
			g := got[i]
			g.hasOutcome, g.hasStarted, g.hasStatus = false, false, false
			if want := briefOf(s); g != want {
				t.Errorf("%s in %d pieces: submission %d:\nSkim %+v\nLoad %+v", filepath.Base(path), pieces, i, g, want)
			}
		}
	}
}

// TestSkimFixtures: on the store's fixtures (torn lines, a torn line healed
// by a later append, NUL blocks, garbage, a newer format, a JSON array, a
// 2 MiB line), Skim folds exactly what Load folds.
func TestSkimFixtures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, data := range fixtureFiles() {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		checkSkim(t, path)
	}
	if subs, err := Skim(filepath.Join(dir, "missing.jsonl")); err != nil || subs != nil {
		t.Errorf("a missing history: %v, %v; want nothing and no error", subs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("Skim created the history")
	}
}

// TestSkimAgreesWithLoad: random histories as Append writes them, with
// names and messages full of quotes, escapes, keys in values and non-ASCII,
// submissions in every state, interleaved, plus lines written by hand in
// another key order and spacing.
func TestSkimAgreesWithLoad(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.jsonl")
			writeRandomHistory(t, path, rand.New(rand.NewPCG(seed, 1)), 300)
			checkSkim(t, path)
		})
	}
}

// FuzzSkim: whatever the strings of the events, Skim agrees with Load.
func FuzzSkim(f *testing.F) {
	f.Add("/home/me/a \"b\" \\c.flac", "batch-1", "acct", "COMPLETED", "/r/x.json", `,"file":"x"`, uint8(0))
	f.Add("/tmp/ünï\u2028\x01.wav", `b\"`, "", "processing", "", `"}`, uint8(3))
	f.Fuzz(func(t *testing.T, file, batch, account, status, result, message string, order uint8) {
		id := "20260102T030405.000000Z-fuzz00"
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		evs := []Event{
			{Kind: KindStarted, ID: id, Time: t0, File: file, Options: map[string]string{"prompt": message, "file": result}},
			{Kind: KindSubmitted, ID: id, Time: t0, BatchID: batch, AccountID: account},
			{Kind: KindStatus, ID: id, Time: t0, Status: status, ResultPath: result, Message: message},
			{Kind: KindUnknown, ID: id, Time: t0, Message: message},
			{Kind: KindHidden, ID: id, Time: t0},
		}
		// order picks which events are written, and whether the outcome
		// event comes before the started one.
		var pick []Event
		for i, ev := range evs {
			if order&(1<<i) != 0 {
				pick = append(pick, ev)
			}
		}
		if order&0x80 != 0 && len(pick) > 1 {
			pick[0], pick[len(pick)-1] = pick[len(pick)-1], pick[0]
		}
		if len(pick) == 0 {
			pick = evs
		}
		lines, err := encodeEvents(pick)
		if err != nil {
			t.Skip(err)
		}
		path := filepath.Join(t.TempDir(), "history.jsonl")
		if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		checkSkim(t, path)
	})
}

// writeRandomHistory writes n submissions' events, shuffled the way
// several processes would interleave them, with hand-written lines mixed in.
func writeRandomHistory(t *testing.T, path string, r *rand.Rand, n int) {
	t.Helper()
	words := []string{"talk", `quote"d`, `back\slash`, "ünïcödé", "tab\there", `,"file":"x"`, `{"batch_id":"y"}`,
		"emoji 🎧", "line\u2028sep", "<&>", `"}`, "ctl\x01"}
	word := func() string { return words[r.IntN(len(words))] }
	statuses := []string{"processing", "COMPLETED", "completed", "failed", "expired", "queued", ""}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var all []Event
	for i := range n {
		id := fmt.Sprintf("%s-%06x", t0.Add(time.Duration(i)*time.Second).Format("20060102T150405.000000Z"), i)
		evs := []Event{{Kind: KindStarted, ID: id, File: "/rec/" + word() + ".flac", Size: 10, Task: "transcribe",
			Options: map[string]string{"prompt": word(), "file": word()}, ResubmitOf: word()}}
		switch r.IntN(5) {
		case 0:
			evs = append(evs, Event{Kind: KindFailed, ID: id, HTTPStatus: 401, Message: word()})
		case 1:
			evs = append(evs, Event{Kind: KindUnknown, ID: id, Message: word()},
				Event{Kind: KindSubmitted, ID: id, BatchID: "b-" + word(), AccountID: "acct"})
		case 2:
			evs = append(evs, Event{Kind: KindInterrupted, ID: id, Message: word()})
		default:
			evs = append(evs, Event{Kind: KindSubmitted, ID: id, BatchID: fmt.Sprintf("batch-%d", i), AccountID: "acct", EndpointID: "audio-prod"})
			for range r.IntN(3) {
				st := statuses[r.IntN(len(statuses))]
				ev := Event{Kind: KindStatus, ID: id, Status: st, Message: word()}
				if strings.EqualFold(st, "completed") && r.IntN(2) == 0 {
					ev.ResultPath = "/results/" + word() + ".json"
				}
				evs = append(evs, ev)
			}
			if r.IntN(2) == 0 {
				evs = append(evs, Event{Kind: KindSubmitted, ID: id}) // a later submitted without ids keeps them
			}
		}
		if r.IntN(10) == 0 {
			evs = append(evs, Event{Kind: KindHidden, ID: id})
		}
		if r.IntN(20) == 0 {
			evs = evs[1:] // no started event
		}
		all = append(all, evs...)
	}
	// Interleave: move some events later, as concurrent writers would.
	for range len(all) / 4 {
		i := r.IntN(len(all))
		j := min(len(all)-1, i+r.IntN(8))
		all[i], all[j] = all[j], all[i]
	}
	lines, err := encodeEvents(all)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, l := range lines {
		switch r.IntN(40) {
		case 0:
			b.WriteString("not json at all\n")
		case 1:
			b.WriteString("   \n")
		case 2, 5: // a torn line healed by the next append: the event never was
			b.Write(l[:len(l)*(1+r.IntN(4))/5])
			b.WriteByte('\n')
			continue
		case 3: // the same event by hand: spaces, keys in another order
			b.WriteString(strings.Replace(strings.Replace(string(l), `{"v":1,`, `{ "v" : 1 , `, 1), `"kind":`, `"kind" :`, 1))
			continue
		case 4:
			b.WriteString(`{"v":2,"kind":"started","id":"x","file":"/newer.flac"}` + "\n")
		}
		b.Write(l)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSkimPiecesFarApart: every submission's events far apart, so that
// each kind of event lands in another piece than the one before: the
// merge of pieces must give what one fold gives.
func TestSkimPiecesFarApart(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var rounds [6][]Event
	for i := range 40 {
		id := fmt.Sprintf("%s-%06x", t0.Add(time.Duration(i)*time.Second).Format("20060102T150405.000000Z"), i)
		if i%5 != 4 {
			rounds[0] = append(rounds[0], Event{Kind: KindStarted, ID: id, File: fmt.Sprintf("/rec/%d.wav", i)})
		}
		switch i % 4 {
		case 0:
			rounds[1] = append(rounds[1], Event{Kind: KindUnknown, ID: id})
			rounds[3] = append(rounds[3], Event{Kind: KindSubmitted, ID: id, BatchID: fmt.Sprint("b", i), AccountID: "a"})
		case 1:
			rounds[1] = append(rounds[1], Event{Kind: KindSubmitted, ID: id, BatchID: fmt.Sprint("b", i), AccountID: "a"})
			rounds[2] = append(rounds[2], Event{Kind: KindStatus, ID: id, Status: "completed", ResultPath: "/r/" + id})
			rounds[4] = append(rounds[4], Event{Kind: KindStatus, ID: id, Status: ""}) // an empty status still replaces
		case 2:
			rounds[1] = append(rounds[1], Event{Kind: KindInterrupted, ID: id})
			rounds[4] = append(rounds[4], Event{Kind: KindStarted, ID: id, File: "/rec/again.wav"}) // started after an outcome
		}
		if i%3 == 0 {
			rounds[5] = append(rounds[5], Event{Kind: KindHidden, ID: id})
		}
	}
	var all []Event
	for _, r := range rounds {
		all = append(all, r...)
	}
	lines, err := encodeEvents(all)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	checkSkim(t, path, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
}
