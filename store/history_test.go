package store

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

func fold(evs ...Event) *History {
	h := newHistory("")
	for i := range evs {
		h.apply(&evs[i], int32(i+1))
	}
	return h
}

func TestFoldRules(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	mt := at(-100)
	started := Event{Kind: KindStarted, ID: "a", Time: at(0), Host: "h1", PID: 1, File: "/f.flac", Size: 9, MTime: &mt,
		Task: "transcribe", Endpoint: "audio-prod", Model: "m", Options: map[string]string{"k": "v"}, ResubmitOf: "z",
		Fingerprint: "v1:9:ab", DurationS: 12.5}
	base := Submission{ID: "a", Started: at(0), Updated: at(0), Host: "h1", PID: 1, File: "/f.flac", Size: 9, MTime: mt,
		Task: "transcribe", Endpoint: "audio-prod", Model: "m", Options: map[string]string{"k": "v"}, ResubmitOf: "z",
		Fingerprint: "v1:9:ab", Duration: audio.KnownLength(12500 * time.Millisecond), Outcome: OutcomeUploading}
	with := func(f func(*Submission)) Submission {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		name string
		evs  []Event
		want Submission
	}{
		{"started", []Event{started}, base},
		{"a duration no recording has is unknown", []Event{func() Event { e := started; e.DurationS = 1e12; return e }()},
			with(func(s *Submission) { s.Duration = audio.Length{} })},
		{"no duration recorded (older lines)", []Event{func() Event { e := started; e.DurationS = 0; return e }()},
			with(func(s *Submission) { s.Duration = audio.Length{} })},
		{"submitted", []Event{started,
			{Kind: KindSubmitted, ID: "a", Time: at(1), BatchID: "b1", AccountID: "acc", EndpointID: "ep"}},
			with(func(s *Submission) {
				s.Outcome, s.BatchID, s.AccountID, s.EndpointID, s.Updated = OutcomeSubmitted, "b1", "acc", "ep", at(1)
			})},
		{"failed", []Event{started, {Kind: KindFailed, ID: "a", Time: at(1), HTTPStatus: 413, Message: "too big"}},
			with(func(s *Submission) {
				s.Outcome, s.HTTPStatus, s.Message, s.Updated = OutcomeFailed, 413, "too big", at(1)
			})},
		{"submitted after unknown wins", []Event{started,
			{Kind: KindUnknown, ID: "a", Time: at(1), Message: "no reply"},
			{Kind: KindStatus, ID: "a", Time: at(2), Status: "RUNNING"},
			{Kind: KindSubmitted, ID: "a", Time: at(3), BatchID: "b1"}},
			with(func(s *Submission) {
				s.Outcome, s.BatchID, s.ServerStatus, s.StatusTime, s.Updated = OutcomeSubmitted, "b1", "RUNNING", at(2), at(3)
			})},
		{"unknown with the batch id its reply named", []Event{started,
			{Kind: KindUnknown, ID: "a", Time: at(1), HTTPStatus: 200, Message: "status error", BatchID: "b1", AccountID: "acc", EndpointID: "ep"}},
			with(func(s *Submission) {
				s.Outcome, s.HTTPStatus, s.Message, s.BatchID, s.AccountID, s.EndpointID, s.Updated =
					OutcomeUnknown, 200, "status error", "b1", "acc", "ep", at(1)
			})},
		{"a status event's HTTP status holds until the next status event", []Event{started,
			{Kind: KindSubmitted, ID: "a", Time: at(1), BatchID: "b1"},
			{Kind: KindStatus, ID: "a", Time: at(2), HTTPStatus: 404, Message: "gone"},
			{Kind: KindHidden, ID: "a", Time: at(3)}},
			with(func(s *Submission) {
				s.Outcome, s.BatchID, s.StatusHTTPStatus, s.StatusTime, s.Message, s.Hidden, s.Updated =
					OutcomeSubmitted, "b1", 404, at(2), "gone", true, at(3)
			})},
		{"a status after a 404 clears it", []Event{started,
			{Kind: KindStatus, ID: "a", Time: at(2), HTTPStatus: 404, Message: "gone"},
			{Kind: KindStatus, ID: "a", Time: at(3), Status: "processing"}},
			with(func(s *Submission) { s.ServerStatus, s.StatusTime, s.Updated = "processing", at(3), at(3) })},
		{"interrupted", []Event{started, {Kind: KindInterrupted, ID: "a", Time: at(1), Message: "cancelled"}},
			with(func(s *Submission) { s.Outcome, s.Message, s.Updated = OutcomeInterrupted, "cancelled", at(1) })},
		{"status keeps the result path and sets the message", []Event{started,
			{Kind: KindSubmitted, ID: "a", Time: at(1), BatchID: "b1"},
			{Kind: KindStatus, ID: "a", Time: at(2), Status: "COMPLETED", ResultPath: "/r.json", Message: "done"},
			{Kind: KindStatus, ID: "a", Time: at(3), Status: "COMPLETED"}},
			with(func(s *Submission) {
				s.Outcome, s.BatchID, s.ServerStatus, s.StatusTime, s.ResultPath, s.Message, s.Updated =
					OutcomeSubmitted, "b1", "COMPLETED", at(3), "/r.json", "", at(3)
			})},
		{"status does not change the outcome", []Event{started, {Kind: KindStatus, ID: "a", Time: at(1), Status: "FAILED"}},
			with(func(s *Submission) { s.ServerStatus, s.StatusTime, s.Updated = "FAILED", at(1), at(1) })},
		{"a later submitted without a batch id keeps it", []Event{started,
			{Kind: KindSubmitted, ID: "a", Time: at(1), BatchID: "b1", AccountID: "acc"},
			{Kind: KindSubmitted, ID: "a", Time: at(2), AccountID: "acc2"}},
			with(func(s *Submission) {
				s.Outcome, s.BatchID, s.AccountID, s.Updated = OutcomeSubmitted, "b1", "acc2", at(2)
			})},
		{"hidden", []Event{started, {Kind: KindHidden, ID: "a", Time: at(1)}},
			with(func(s *Submission) { s.Hidden, s.Updated = true, at(1) })},
		{"no started event", []Event{
			{Kind: KindStatus, ID: "a", Time: at(5), Host: "h2", PID: 2, Status: "RUNNING"},
			{Kind: KindHidden, ID: "a", Time: at(6), Host: "h3", PID: 3}},
			Submission{ID: "a", Started: at(5), Updated: at(6), Host: "h2", PID: 2, Outcome: OutcomeUnknown,
				ServerStatus: "RUNNING", StatusTime: at(5), Hidden: true}},
		{"started after an outcome keeps the outcome", []Event{
			{Kind: KindSubmitted, ID: "a", Time: at(-1), BatchID: "b1"}, started},
			with(func(s *Submission) { s.Outcome, s.BatchID = OutcomeSubmitted, "b1" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fold(tt.evs...)
			if h.Len() != 1 {
				t.Fatalf("%d submissions", h.Len())
			}
			if got := *h.Get("a"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSubmissionsOrderAndHidden(t *testing.T) {
	t.Parallel()
	h := fold(
		Event{Kind: KindStarted, ID: "b"},
		Event{Kind: KindStatus, ID: "c"}, // no started: still listed, where it first appears
		Event{Kind: KindStarted, ID: "a"},
		Event{Kind: KindHidden, ID: "b"},
		Event{Kind: KindSubmitted, ID: "a"},
	)
	var ids []string
	for _, s := range h.Submissions() {
		ids = append(ids, fmt.Sprintf("%s/%v", s.ID, s.Hidden))
	}
	if want := []string{"b/true", "c/false", "a/false"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("got %v, want %v", ids, want)
	}
	if h.Get("zz") != nil || h.Len() != 3 {
		t.Error("Get or Len wrong")
	}
	h.Submissions()[0] = nil
	if h.Submissions()[0] == nil {
		t.Error("Submissions handed out h's own slice")
	}
}

// Keeping only the keepers' lines, in file order, must fold every
// submission exactly as all its lines do: that is what makes compaction
// safe. Random event sequences over a few ids test it.
func TestKeepersFoldTheSame(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	kinds := []Kind{KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden}
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	for round := range 2000 {
		var evs []Event
		for i := range 1 + r.IntN(30) {
			mt := time.Unix(int64(r.IntN(5)), 0).UTC()
			ev := Event{Kind: kinds[r.IntN(len(kinds))], ID: pick("a", "b", "c"), Time: time.Unix(int64(i), 0).UTC(),
				Host: pick("h1", "h2"), PID: r.IntN(3), File: pick("", "/f1", "/f2"), Size: int64(r.IntN(3)),
				Task: pick("", "transcribe"), Model: pick("", "m"), BatchID: pick("", "b1", "b2"), AccountID: pick("", "a1"),
				EndpointID: pick("", "e1"), HTTPStatus: r.IntN(2) * 500, Message: pick("", "m1", "m2"),
				Status: pick("", "RUNNING", "COMPLETED"), ResultPath: pick("", "/r1", "/r2"), ResubmitOf: pick("", "x"),
				Fingerprint: pick("", "v1:1:aa", "v1:2:bb")}
			if r.IntN(2) == 0 {
				ev.MTime = &mt
			}
			if r.IntN(2) == 0 {
				ev.Options = map[string]string{"k": pick("1", "2")}
			}
			evs = append(evs, ev)
		}
		all := fold(evs...)
		keep := map[int32]bool{}
		for _, st := range all.state {
			for _, l := range st.keep {
				if l != 0 {
					keep[l] = true
				}
			}
		}
		if len(keep) != all.kept() {
			t.Fatalf("round %d: kept() = %d, want %d", round, all.kept(), len(keep))
		}
		var subset []Event
		for i, ev := range evs {
			if keep[int32(i+1)] {
				subset = append(subset, ev)
			}
		}
		if got, want := fold(subset...).Submissions(), all.Submissions(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: kept lines fold to\n%+v\nall lines to\n%+v\nevents %+v", round, got, want, evs)
		}
	}
}
