package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// completions runs the shell's completion request for args and returns the
// offered values and their descriptions, in order.
func (h *harness) completions(args ...string) (values, descs []string) {
	h.t.Helper()
	res := h.run(append([]string{"__complete"}, args...)...)
	if res.code != 0 {
		h.t.Fatalf("__complete %v: exit %d: %s", args, res.code, res.errOut)
	}
	ls := lines(h.t, res.out)
	if len(ls) == 0 || !strings.HasPrefix(ls[len(ls)-1], ":") {
		h.t.Fatalf("__complete %v: no directive line:\n%s", args, res.out)
	}
	for _, l := range ls[:len(ls)-1] {
		v, d, _ := strings.Cut(l, "\t")
		values = append(values, v)
		descs = append(descs, d)
	}
	return values, descs
}

// writeHistory appends events for submissions named by their letter, in
// order; the time part of each id grows with it.
func writeHistory(t *testing.T, path string, subs ...[]store.Event) {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, evs := range subs {
		if err := st.Append(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
	}
}

func localID(n int) string { return fmt.Sprintf("20261128T1400%02d.000000Z-00000%d", n, n%10) }

// job is a submission's events: started, and submitted when batch is set,
// then a status event for each of statuses (the last one with a saved
// result when it is "completed").
func job(n int, file, batch string, statuses ...string) []store.Event {
	id := localID(n)
	evs := []store.Event{{Kind: store.KindStarted, ID: id, File: "/rec/" + file, Task: "transcribe"}}
	if batch == "" {
		return append(evs, store.Event{Kind: store.KindFailed, ID: id, HTTPStatus: 401})
	}
	evs = append(evs, store.Event{Kind: store.KindSubmitted, ID: id, BatchID: batch, AccountID: "acct"})
	for _, s := range statuses {
		ev := store.Event{Kind: store.KindStatus, ID: id, Status: s}
		if s == "completed" {
			ev.ResultPath = "/results/" + id + ".json"
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestCompleteIDs: status and result complete batch ids from the history,
// the jobs each command is for first (pending ones for status, completed
// ones for result), then newest first, with the file and status as the
// description; hidden and failed uploads and ids already given are left
// out; local ids complete once one is begun; --history works before or
// after the command; no request reaches the API.
func TestCompleteIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	hist := filepath.Join(h.dir, "other", "history.jsonl")
	hidden := job(4, "d.wav", "batch-d", "completed")
	hidden = append(hidden, store.Event{Kind: store.KindHidden, ID: localID(4)})
	writeHistory(t, hist,
		job(1, "a.wav", "batch-a", "processing", "completed"),
		job(2, "b.wav", "batch-b"),
		job(3, "c.wav", ""),
		hidden,
		job(5, "e.wav", "batch-e", "processing"),
		job(6, "f.wav", "batch-f", "completed"),
		job(7, "g.wav", "batch-g", "expired"),
	)

	values, descs := h.completions("--history", hist, "status", "")
	if want := []string{"batch-e", "batch-b", "batch-g", "batch-f", "batch-a"}; !slices.Equal(values, want) {
		t.Errorf("status: %v, want %v", values, want)
	}
	if want := []string{"e.wav, processing", "b.wav, submitted", "g.wav, expired", "f.wav, completed", "a.wav, completed"}; !slices.Equal(descs, want) {
		t.Errorf("status descriptions: %q, want %q", descs, want)
	}
	values, _ = h.completions("result", "--history", hist, "batch-f", "")
	if want := []string{"batch-a", "batch-g", "batch-e", "batch-b"}; !slices.Equal(values, want) {
		t.Errorf("result after batch-f: %v, want %v", values, want)
	}
	values, _ = h.completions("status", "--history", hist, "batch-")
	if len(values) != 5 {
		t.Errorf("status batch-: %v", values)
	}
	values, descs = h.completions("status", "--history="+hist, localID(5)[:14])
	if want := []string{localID(5), localID(2), localID(7), localID(6), localID(1)}; !slices.Equal(values, want) || descs[0] != "e.wav, processing" {
		t.Errorf("a local id begun: %v %q, want %v", values, descs, want)
	}
	if values, _ := h.completions("status", "--history", hist, "nope"); len(values) != 0 {
		t.Errorf("no match: %v", values)
	}
	// Without --history: the harness's history, empty.
	if values, _ := h.completions("status", ""); len(values) != 0 {
		t.Errorf("an empty history: %v", values)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("completion sent %d requests to the API", n)
	}
}

// TestCompleteIDsNotFoundAndUnknown: a job the server said it does not
// know (a check got a 404) is not pending, so status does not offer it
// first, and says "not found"; an upload whose reply named a job without
// confirming it (unknown, with the batch id) is offered, pending first, as
// `fwbatch status` would check it.
func TestCompleteIDsNotFoundAndUnknown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	notFound := job(2, "b.wav", "batch-b")
	notFound = append(notFound, store.Event{Kind: store.KindStatus, ID: localID(2), HTTPStatus: 404, Message: "no such batch job"})
	unknown := []store.Event{
		{Kind: store.KindStarted, ID: localID(3), File: "/rec/c.wav"},
		{Kind: store.KindUnknown, ID: localID(3), HTTPStatus: 200, Message: `status "weird"`, BatchID: "batch-c", AccountID: "acct"},
	}
	writeHistory(t, h.hist,
		job(1, "a.wav", "batch-a", "processing"),
		notFound,
		unknown,
		job(4, "d.wav", "batch-d", "completed"),
	)
	values, descs := h.completions("status", "")
	if want := []string{"batch-c", "batch-a", "batch-d", "batch-b"}; !slices.Equal(values, want) {
		t.Errorf("status: %v, want %v", values, want)
	}
	if want := []string{"c.wav, unknown", "a.wav, processing", "d.wav, completed", "b.wav, not found"}; !slices.Equal(descs, want) {
		t.Errorf("status descriptions: %q, want %q", descs, want)
	}
	values, _ = h.completions("result", "")
	if want := []string{"batch-d", "batch-c", "batch-b", "batch-a"}; !slices.Equal(values, want) {
		t.Errorf("result: %v, want %v", values, want)
	}
}

// TestCompletionJudgesAsLoad: for jobs in every state a history can tell,
// completion offers, ranks and describes each from what store.Skim reads
// exactly as from what Load folds: a rule of submit's that read a field a
// Brief does not carry would fail here.
func TestCompletionJudgesAsLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.jsonl")
	outcomes := []store.Kind{store.KindSubmitted, store.KindUnknown, store.KindFailed, store.KindInterrupted, ""}
	checks := [][]store.Event{
		nil,
		{{Kind: store.KindStatus, Status: "processing"}},
		{{Kind: store.KindStatus, Status: "COMPLETED", ResultPath: "/r.json"}},
		{{Kind: store.KindStatus, Status: "completed"}},
		{{Kind: store.KindStatus, Status: "failed", ResultPath: "/r.json"}, {Kind: store.KindStatus, Status: "expired"}},
		{{Kind: store.KindStatus, HTTPStatus: 404, Message: "gone"}},
		{{Kind: store.KindStatus, HTTPStatus: 404}, {Kind: store.KindStatus, Status: "processing"}},
		{{Kind: store.KindStatus, HTTPStatus: 500, Status: "processing"}},
	}
	var subs [][]store.Event
	n := 0
	for _, outcome := range outcomes {
		for ids := range 4 {
			for _, check := range checks {
				for _, hidden := range []bool{false, true} {
					n++
					id := fmt.Sprintf("20261128T1400%02d.%06dZ-abcdef", n/1000, n)
					evs := []store.Event{{Kind: store.KindStarted, ID: id, File: fmt.Sprintf("/rec/%d.wav", n)}}
					if outcome != "" {
						ev := store.Event{Kind: outcome, ID: id}
						if ids&1 != 0 {
							ev.BatchID = fmt.Sprint("batch-", n)
						}
						if ids&2 != 0 {
							ev.AccountID = "acct"
						}
						evs = append(evs, ev)
					}
					for _, c := range check {
						c.ID = id
						evs = append(evs, c)
					}
					if hidden {
						evs = append(evs, store.Event{Kind: store.KindHidden, ID: id})
					}
					subs = append(subs, evs)
				}
			}
		}
	}
	writeHistory(t, path, subs...)
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	briefs, err := store.Skim(path)
	if err != nil {
		t.Fatal(err)
	}
	full := h.Submissions()
	if len(briefs) != len(full) {
		t.Fatalf("Skim read %d submissions, Load %d", len(briefs), len(full))
	}
	offered := 0
	for i, s := range full {
		b := briefs[i].Submission()
		if (s.Hidden || s.BatchID == "") != (b.Hidden || b.BatchID == "") {
			t.Errorf("%s: offered from Load %v, from Skim %v", s.ID, !s.Hidden && s.BatchID != "", !b.Hidden && b.BatchID != "")
		}
		if s.Hidden || s.BatchID == "" {
			continue
		}
		offered++
		if pendingFirst(s) != pendingFirst(&b) || doneFirst(s) != doneFirst(&b) ||
			statusWord(s) != statusWord(&b) || displayName(s) != displayName(&b) {
			t.Errorf("%s: from Load %v %v %q %q, from Skim %v %v %q %q", s.ID,
				pendingFirst(s), doneFirst(s), statusWord(s), displayName(s),
				pendingFirst(&b), doneFirst(&b), statusWord(&b), displayName(&b))
		}
	}
	if offered == 0 {
		t.Fatal("no job offered: the history tests nothing")
	}
}

// TestCompleteIDsMany: one TAB offers at most maxIDCompletions ids, and
// then also what all the matches share, so that the shell never completes
// into the newest ones and hides the rest.
func TestCompleteIDsMany(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	var subs [][]store.Event
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for i := range 150 {
		// The newest 100 share "20261128T150…", all 150 "20261128T".
		at := t0.Add(time.Duration(i) * time.Hour / 20)
		if i >= 50 {
			at = t0.Add(6*time.Hour + time.Duration(i)*time.Second)
		}
		id := at.Format("20060102T150405.000000Z") + fmt.Sprintf("-%06d", i)
		subs = append(subs, []store.Event{
			{Kind: store.KindStarted, ID: id, File: fmt.Sprintf("/rec/%03d.wav", i)},
			{Kind: store.KindSubmitted, ID: id, BatchID: fmt.Sprintf("b%03d", i), AccountID: "acct"},
		})
	}
	st, _ := store.Open(h.hist)
	var all []store.Event
	for _, s := range subs {
		all = append(all, s...)
	}
	if err := st.Append(context.Background(), all...); err != nil {
		t.Fatal(err)
	}
	values, descs := h.completions("status", "2026")
	if len(values) != maxIDCompletions+1 {
		t.Fatalf("%d values, want %d", len(values), maxIDCompletions+1)
	}
	if values[0] != h.subs()[149].ID || descs[0] != "149.wav, submitted" {
		t.Errorf("first: %s %q; want the newest", values[0], descs[0])
	}
	if last := values[len(values)-1]; last != "20261128T" || descs[len(descs)-1] != "50 more, older: type more of the id" {
		t.Errorf("last: %s %q; want what all 150 share", last, descs[len(descs)-1])
	}
}

// TestCompleteFlagValues: every flag that takes one of a set completes
// exactly its values in flagValues (those submit.Options.Validate
// accepts, for the request's flags) on every command that has it (the
// shell keeps those that match what was typed); free-text flags offer
// nothing.
func TestCompleteFlagValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	root := (&runner{}).newRootCmd()
	for name, want := range flagValues {
		on := 0
		for _, cmd := range [][]string{{"submit"}, {}, {"sync"}, {"result"}} {
			c, _, err := root.Find(cmd)
			if err != nil || c.Flags().Lookup(name) == nil {
				continue
			}
			on++
			args := append(append([]string{}, cmd...), "--"+name, "")
			if got, _ := h.completions(args...); !slices.Equal(got, want) {
				t.Errorf("%v: %v, want %v", args, got, want)
			}
		}
		if on == 0 {
			t.Errorf("--%s is a flag of none of the commands", name)
		}
	}
	if got, _ := h.completions("submit", "--prompt", ""); len(got) != 0 {
		t.Errorf("--prompt: %v", got)
	}
}

// TestMistypedCommand: a word that is neither a file nor a command, but
// close to one, is answered with the command, exit 2.
func TestMistypedCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	res := h.run("stauts")
	if res.code != 2 || oneLine(t, "stderr", res.errOut) != "fwbatch: stauts: no such file or folder, nor a command; did you mean `fwbatch status`?" {
		t.Errorf("exit %d, stderr %q", res.code, res.errOut)
	}
}

// TestCompletionUnknownShell: a shell fwbatch has no script for is a
// one-line usage error naming those it has, exit 2, not the command's help
// and success (a script redirecting it would get help text as its
// "completion script"); each known shell still writes its script.
func TestCompletionUnknownShell(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeapi.Config{})
	res := h.run("completion", "tcsh")
	line := oneLine(t, "stderr", res.errOut)
	if res.code != 2 || res.out != "" {
		t.Errorf("completion tcsh: exit %d, stdout %q", res.code, res.out)
	}
	contains(t, "completion tcsh: stderr", line, `"tcsh"`, "bash", "zsh", "fish", "powershell")
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if res := h.run("completion", shell); res.code != 0 || !strings.Contains(res.out, "fwbatch") || res.errOut != "" {
			t.Errorf("completion %s: exit %d, %d bytes of script, stderr %q", shell, res.code, len(res.out), res.errOut)
		}
	}
}
