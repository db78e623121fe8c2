package submit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/internal/testchild"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// openStore opens a fresh history in a temp folder.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// historyEvents reads the history file line by line, as written.
func historyEvents(t *testing.T, st *store.Store) []store.Event {
	t.Helper()
	data, err := os.ReadFile(st.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(canary))) {
		t.Errorf("the API key is in the history file:\n%s", data)
	}
	var evs []store.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var ev store.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("history line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func kindsOf(evs []store.Event, id string) []store.Kind {
	var out []store.Kind
	for _, ev := range evs {
		if ev.ID == id {
			out = append(out, ev.Kind)
		}
	}
	return out
}

// batchLog collects RunBatch's events.
type batchLog struct {
	mu  sync.Mutex
	evs []submit.BatchEvent
}

func (l *batchLog) on(ev submit.BatchEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

// done returns each item's EventDone, by file.
func (l *batchLog) done(t *testing.T) map[string]submit.BatchEvent {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]submit.BatchEvent{}
	for _, ev := range l.evs {
		if ev.Type != submit.EventDone {
			continue
		}
		if _, dup := out[ev.Item.File]; dup {
			t.Errorf("%s: two EventDone", ev.Item.File)
		}
		out[ev.Item.File] = ev
	}
	return out
}

// types returns the event types one item saw, in order, without progress.
func (l *batchLog) types(file string) []submit.EventType {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []submit.EventType
	for _, ev := range l.evs {
		if ev.Item.File == file && ev.Type != submit.EventProgress {
			out = append(out, ev.Type)
		}
	}
	return out
}

// copyFixture copies an audio fixture into dir under name.
func copyFixture(t *testing.T, fixtureName, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := testchild.CopyFile(fixture(fixtureName), p, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunBatchRecordsBeforeUploading checks, from the server's side, that
// each file's "started" event is on disk before its request arrives, and
// that the outcome follows it in the history.
func TestRunBatchRecordsBeforeUploading(t *testing.T) {
	st := openStore(t)
	fake := fakeapi.New(fakeapi.Config{APIKey: canary})
	var mu sync.Mutex
	startedBeforeRequest := map[string]bool{} // file name → seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := st.Load()
		if err != nil {
			t.Errorf("loading the history from the server: %v", err)
		}
		mu.Lock()
		for _, s := range h.Submissions() {
			if s.Outcome == store.OutcomeUploading {
				startedBeforeRequest[filepath.Base(s.File)] = true
			}
		}
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); fake.Close() })
	c, _ := newClient(t, srv.URL, nil)

	dir := t.TempDir()
	var items []submit.BatchItem
	for _, name := range []string{"a.flac", "b.flac", "c.flac"} {
		items = append(items, submit.BatchItem{File: copyFixture(t, "hello.flac", dir, name)})
	}
	var log batchLog
	c.RunBatch(context.Background(), st, items, 2, log.on)

	evs := historyEvents(t, st)
	done := log.done(t)
	for _, it := range items {
		name := filepath.Base(it.File)
		if !startedBeforeRequest[name] {
			t.Errorf("%s: no started event in the history when its request arrived", name)
		}
		ev := done[it.File]
		if ev.Outcome != store.KindSubmitted || !ev.Recorded || ev.Err != nil || ev.Reply == nil {
			t.Fatalf("%s: done = %+v", name, ev)
		}
		if got := log.types(it.File); !slices.Equal(got, []submit.EventType{submit.EventStarted, submit.EventDone}) {
			t.Errorf("%s: events %v, want started then done", name, got)
		}
		id := ev.Item.ID
		if id == "" {
			t.Fatalf("%s: no id was made", name)
		}
		if got := kindsOf(evs, id); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindSubmitted}) {
			t.Errorf("%s: history %v, want started, submitted", name, got)
		}
		for _, e := range evs {
			switch {
			case e.ID == id && e.Kind == store.KindStarted:
				if e.File != it.File || e.Size != 17115 || e.MTime == nil || e.Task != "transcribe" ||
					e.Endpoint != "audio-prod" || e.Model != "whisper-v3" || e.Options["response_format"] != "json" {
					t.Errorf("%s: started event %+v", name, e)
				}
				// A file under 2 MiB is fingerprinted whole.
				if want := "v1:17115:" + fileSHA256(t, it.File); e.Fingerprint != want {
					t.Errorf("%s: started fingerprint %q, want %q", name, e.Fingerprint, want)
				}
			case e.ID == id && e.Kind == store.KindSubmitted:
				if e.BatchID != ev.Reply.BatchID || e.AccountID != "fake-account" || e.EndpointID != "audio-prod" {
					t.Errorf("%s: submitted event %+v, reply %+v", name, e, ev.Reply)
				}
				if _, ok := fake.Job(e.BatchID); !ok {
					t.Errorf("%s: the fake has no job %s", name, e.BatchID)
				}
			}
		}
	}
	if n := fake.SubmitCount(); n != 3 {
		t.Errorf("the fake saw %d submits, want 3", n)
	}
}

// TestRunBatchOutcomes checks that each failure kind lands in the history
// with its HTTP status and a redacted one-line message.
func TestRunBatchOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		faults   string
		key      string // the fake's key, when not the canary
		kind     store.Kind
		status   int
		msg      []string
		requests int
	}{
		{name: "401", faults: "1:401", kind: store.KindFailed, status: 401, msg: []string{"HTTP 401", "check FIREWORKS_API_KEY"}, requests: 1},
		{name: "wrong key echoed", key: "another-key", kind: store.KindFailed, status: 401, msg: []string{"HTTP 401", "[redacted]"}, requests: 1},
		{name: "500", faults: "1:500", kind: store.KindUnknown, status: 500, msg: []string{"HTTP 500", "outcome unknown"}, requests: 1},
		{name: "no batch id", faults: "1:no-batch-id", kind: store.KindUnknown, status: 200, msg: []string{"no batch_id"}, requests: 1},
		{name: "429 then accepted", faults: "1:429", kind: store.KindSubmitted, requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = canary
			}
			fake := startFake(t, fakeapi.Config{APIKey: key, Faults: faults(t, tt.faults)})
			c, _ := newClient(t, fake.URL(), nil)
			st := openStore(t)
			file := fixture("hello.wav")
			var log batchLog
			c.RunBatch(context.Background(), st, []submit.BatchItem{{ID: "fixed-id", File: file}}, 1, log.on)
			ev := log.done(t)[file]
			if ev.Outcome != tt.kind || !ev.Recorded {
				t.Fatalf("done = %+v, want %s recorded", ev, tt.kind)
			}
			evs := historyEvents(t, st)
			if got := kindsOf(evs, "fixed-id"); !slices.Equal(got, []store.Kind{store.KindStarted, tt.kind}) {
				t.Fatalf("history %v", got)
			}
			last := evs[len(evs)-1]
			if last.HTTPStatus != tt.status {
				t.Errorf("http_status %d, want %d", last.HTTPStatus, tt.status)
			}
			for _, m := range tt.msg {
				if !strings.Contains(last.Message, m) {
					t.Errorf("message %q does not contain %q", last.Message, m)
				}
			}
			if strings.Contains(last.Message, "\n") {
				t.Errorf("message is not one line: %q", last.Message)
			}
			if n := fake.SubmitCount(); n != tt.requests {
				t.Errorf("the fake saw %d submits, want %d", n, tt.requests)
			}
		})
	}
}

// TestRunBatchRefusedItems: items that fail their checks send nothing and
// leave nothing in the history; the others go ahead.
func TestRunBatchRefusedItems(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.wav")
	os.WriteFile(empty, nil, 0o644)
	items := []submit.BatchItem{
		{File: fixture("hello.flac"), Options: submit.Options{Diarize: true}},
		{File: filepath.Join(dir, "missing.wav")},
		{File: empty},
		{File: fixture("not-audio.txt")},
		{File: dir},
		{File: fixture("hello.mp3")},
	}
	var log batchLog
	c.RunBatch(context.Background(), st, items, 3, log.on)
	done := log.done(t)
	var fieldErr *submit.FieldError
	if ev := done[items[0].File]; ev.Outcome != store.KindFailed || ev.Recorded || !errors.As(ev.Err, &fieldErr) || fieldErr.Field != "diarize" {
		t.Errorf("bad options: %+v", ev)
	}
	for _, it := range items[1:5] {
		ev := done[it.File]
		var fileErr *submit.FileError
		if ev.Outcome != store.KindFailed || ev.Recorded || !errors.As(ev.Err, &fileErr) || !strings.HasPrefix(ev.Err.Error(), it.File+": ") {
			t.Errorf("%s: %+v (%v)", it.File, ev, ev.Err)
		}
		if got := log.types(it.File); !slices.Equal(got, []submit.EventType{submit.EventDone}) {
			t.Errorf("%s: events %v, want only done", it.File, got)
		}
	}
	if ev := done[fixture("hello.mp3")]; ev.Outcome != store.KindSubmitted || !ev.Recorded {
		t.Errorf("the good file: %+v", ev)
	}
	evs := historyEvents(t, st)
	if len(evs) != 2 {
		t.Errorf("history holds %d events, want only the good file's 2: %+v", len(evs), evs)
	}
	if n := fake.SubmitCount(); n != 1 {
		t.Errorf("the fake saw %d submits, want 1", n)
	}
}

// TestRunBatchHistoryNotWritable: nothing is uploaded when the outcome
// could not be recorded.
func TestRunBatchHistoryNotWritable(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	newer := `{"v":2,"kind":"started","id":"x","time":"2026-01-01T00:00:00Z"}` + "\n"
	if err := os.WriteFile(st.Path(), []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	items := []submit.BatchItem{{File: fixture("hello.wav")}, {File: fixture("hello.ogg")}}
	var log batchLog
	c.RunBatch(context.Background(), st, items, 2, log.on)
	for _, it := range items {
		ev := log.done(t)[it.File]
		if ev.Outcome != store.KindFailed || ev.Recorded || !errors.Is(ev.Err, store.ErrNewerFormat) ||
			!strings.Contains(ev.Err.Error(), "nothing uploaded") || ev.Item.ID == "" {
			t.Errorf("%s: %+v", it.File, ev)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want none", n)
	}
	if data, _ := os.ReadFile(st.Path()); string(data) != newer {
		t.Errorf("the history changed:\n%s", data)
	}
}

// TestRunBatchCancel: the upload in flight is recorded as interrupted;
// the one still waiting for a slot leaves no trace and sends nothing.
func TestRunBatchCancel(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:stall")})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	big := bigFile(t, bigSize)
	items := []submit.BatchItem{{File: big}, {File: fixture("hello.wav")}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log batchLog
	var once sync.Once
	c.RunBatch(ctx, st, items, 1, func(ev submit.BatchEvent) {
		log.on(ev)
		if ev.Type == submit.EventProgress && ev.Progress.Sent > 0 {
			once.Do(cancel)
		}
	})
	done := log.done(t)
	first, second := done[big], done[fixture("hello.wav")]
	var intr *submit.InterruptedError
	if first.Outcome != store.KindInterrupted || !first.Recorded || !errors.As(first.Err, &intr) || intr.Sent == 0 || intr.Sent >= intr.Total {
		t.Errorf("the upload in flight: %+v (%v)", first, first.Err)
	}
	if second.Outcome != store.KindInterrupted || second.Recorded || !errors.As(second.Err, &intr) {
		t.Errorf("the waiting item: %+v (%v)", second, second.Err)
	}
	evs := historyEvents(t, st)
	if got := kindsOf(evs, first.Item.ID); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindInterrupted}) {
		t.Errorf("history of the upload in flight: %v", got)
	}
	if got := kindsOf(evs, second.Item.ID); len(got) != 0 {
		t.Errorf("history of the waiting item: %v, want nothing", got)
	}
	if n := fake.SubmitCount(); n != 1 {
		t.Errorf("the fake saw %d submits, want 1", n)
	}

	// Cancelled before it starts: nothing at all.
	var log2 batchLog
	c.RunBatch(ctx, st, []submit.BatchItem{{File: fixture("hello.flac")}}, 4, log2.on)
	if ev := log2.done(t)[fixture("hello.flac")]; ev.Outcome != store.KindInterrupted || ev.Recorded {
		t.Errorf("cancelled batch: %+v", ev)
	}
	if n := len(historyEvents(t, st)); n != len(evs) {
		t.Errorf("a cancelled batch wrote %d events", n-len(evs))
	}
}

// TestRunBatchConcurrency: never more than concurrency uploads at once, and
// that many when there is work for them.
func TestRunBatchConcurrency(t *testing.T) {
	fake := fakeapi.New(fakeapi.Config{APIKey: canary, Latency: 50 * time.Millisecond})
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); fake.Close() })
	c, _ := newClient(t, srv.URL, nil)
	st := openStore(t)
	var items []submit.BatchItem
	for range 7 {
		items = append(items, submit.BatchItem{File: fixture("hello.wav")})
	}
	var log batchLog
	c.RunBatch(context.Background(), st, items, 3, log.on)
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrent requests %d, want 3", p)
	}
	ids := map[string]bool{}
	for _, ev := range log.evs {
		if ev.Type == submit.EventDone {
			if ev.Outcome != store.KindSubmitted {
				t.Errorf("%+v", ev)
			}
			ids[ev.Item.ID] = true
		}
	}
	if len(ids) != 7 {
		t.Errorf("%d distinct ids, want 7", len(ids))
	}
}

// submitOne submits a file through the history and returns its submission.
func submitOne(t *testing.T, c *submit.Client, st *store.Store, file string, opts submit.Options) store.Submission {
	t.Helper()
	var log batchLog
	c.RunBatch(context.Background(), st, []submit.BatchItem{{File: file, Options: opts}}, 1, log.on)
	ev := log.done(t)[file]
	if ev.Outcome != store.KindSubmitted {
		t.Fatalf("submit: %+v", ev)
	}
	return loadSub(t, st, ev.Item.ID)
}

func loadSub(t *testing.T, st *store.Store, id string) store.Submission {
	t.Helper()
	h, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := h.Get(id)
	if s == nil {
		t.Fatalf("no submission %s", id)
	}
	return *s
}

// TestCheckRecorded follows a job from processing to completed: a status
// event only when something changed, the result saved once under the
// results folder with its path recorded.
func TestCheckRecorded(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Polls: 2})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	sub := submitOne(t, c, st, fixture("hello.flac"), submit.Options{ResponseFormat: "srt"})
	ctx := context.Background()

	check := func(wantState submit.JobState, wantRecorded bool) *submit.CheckResult {
		t.Helper()
		res, err := c.CheckRecorded(ctx, st, sub)
		if err != nil {
			t.Fatal(err)
		}
		if res.State != wantState || res.Recorded != wantRecorded {
			t.Fatalf("check: state %v recorded %v, want %v %v", res.State, res.Recorded, wantState, wantRecorded)
		}
		sub = loadSub(t, st, sub.ID)
		return res
	}
	check(submit.Pending, true)
	if sub.ServerStatus != "processing" || sub.ResultPath != "" {
		t.Errorf("after the first check: %+v", sub)
	}
	check(submit.Pending, false) // still processing: nothing new
	res := check(submit.Completed, true)
	wantPath := filepath.Join(st.ResultsDir(), sub.ID+".srt")
	if res.ResultPath != wantPath || sub.ResultPath != wantPath || sub.ServerStatus != "completed" {
		t.Errorf("result at %q, recorded %q, want %q", res.ResultPath, sub.ResultPath, wantPath)
	}
	job, _ := fake.Job(sub.BatchID)
	got, err := os.ReadFile(wantPath)
	if err != nil || string(got) != job.Body {
		t.Errorf("saved result %q (%v), want the job's body %q", got, err, job.Body)
	}
	if fi, err := os.Stat(wantPath); err != nil {
		t.Errorf("saved result: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("saved result mode %v, want 0600", fi.Mode())
	}
	if fi, err := os.Stat(st.ResultsDir()); err != nil {
		t.Errorf("results folder: %v", err)
	} else if fi.Mode().Perm() != 0o700 {
		t.Errorf("results folder mode %v, want 0700", fi.Mode())
	}
	n := len(historyEvents(t, st))
	check(submit.Completed, false) // seen before: saved once
	if m := len(historyEvents(t, st)); m != n {
		t.Errorf("a check of a saved result wrote %d events", m-n)
	}
	// A saved result deleted by hand is saved again.
	os.Remove(wantPath)
	res = check(submit.Completed, true)
	if got, _ := os.ReadFile(wantPath); res.ResultPath != wantPath || string(got) != job.Body {
		t.Errorf("not saved again: %q", got)
	}
	if n := fake.StatusCount(); n != 5 {
		t.Errorf("the fake saw %d status requests, want 5", n)
	}
	evs := historyEvents(t, st)
	if got := kindsOf(evs, sub.ID); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindSubmitted, store.KindStatus, store.KindStatus, store.KindStatus}) {
		t.Errorf("history %v", got)
	}
}

// TestCheckRecordedOnceAcrossProcesses: several fwbatch processes that
// saw a job pending and ask about it at once save its result once and
// record its completion once (five demo windows wrote up to five
// "completed" events per job).
func TestCheckRecordedOnceAcrossProcesses(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	sub := submitOne(t, c, st, fixture("hello.flac"), submit.Options{})
	var wg sync.WaitGroup
	paths := make([]string, 5)
	for i := range paths {
		other, err := store.Open(st.Path()) // another process's store
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			res, err := c.CheckRecorded(context.Background(), other, sub)
			if err != nil {
				t.Error(err)
				return
			}
			paths[i] = res.ResultPath
		})
	}
	wg.Wait()
	if got := kindsOf(historyEvents(t, st), sub.ID); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindSubmitted, store.KindStatus}) {
		t.Errorf("history %v, want one status event", got)
	}
	entries, err := os.ReadDir(st.ResultsDir())
	if err != nil || len(entries) != 1 {
		t.Fatalf("results folder: %v %v, want one file", entries, err)
	}
	for _, p := range paths {
		if p != filepath.Join(st.ResultsDir(), entries[0].Name()) {
			t.Errorf("a check reports the result at %q", p)
		}
	}
}

// TestCheckRecordedResultNotSaved: a completed job whose result cannot be
// saved is recorded as completed without a result (the history says what
// the server said), the error says why, and the next check saves it.
func TestCheckRecordedResultNotSaved(t *testing.T) {
	fake := startFake(t, fakeapi.Config{})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	sub := submitOne(t, c, st, fixture("hello.flac"), submit.Options{})
	if err := os.WriteFile(st.ResultsDir(), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := c.CheckRecorded(context.Background(), st, sub)
	checkMessage(t, err, "results folder", st.ResultsDir())
	if res == nil || res.State != submit.Completed || !res.Recorded || res.ResultPath != "" {
		t.Fatalf("check: %+v", res)
	}
	sub = loadSub(t, st, sub.ID)
	if sub.ServerStatus != "completed" || sub.ResultPath != "" || !submit.NeedsCheck(&sub) {
		t.Fatalf("recorded: %+v", sub)
	}
	os.Remove(st.ResultsDir())
	if res, err = c.CheckRecorded(context.Background(), st, sub); err != nil || res.ResultPath == "" {
		t.Fatalf("the next check: %+v %v", res, err)
	}
}

// TestCheckRecordedFailure: a job whose status turns to a failure is
// recorded with the server's status and message, and nothing is saved.
func TestCheckRecordedFailure(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:job-failed=expired")})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	sub := submitOne(t, c, st, fixture("hello.wav"), submit.Options{})
	res, err := c.CheckRecorded(context.Background(), st, sub)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != submit.Failed || !res.Recorded || res.ResultPath != "" || res.Job.Status != "expired" {
		t.Errorf("check: %+v", res)
	}
	sub = loadSub(t, st, sub.ID)
	if sub.ServerStatus != "expired" || sub.Message != "the audio could not be decoded" || sub.ResultPath != "" {
		t.Errorf("recorded: %+v", sub)
	}
	if _, err := os.Stat(st.ResultsDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a results folder was made for a failed job: %v", err)
	}
}

// TestCheckRecordedErrors: no batch id means no request; a refused check
// records nothing.
func TestCheckRecordedErrors(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1:401")})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	_, err := c.CheckRecorded(context.Background(), st, store.Submission{ID: "x", File: "/a/talk.flac"})
	checkMessage(t, err, "talk.flac", "no batch id")
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests", n)
	}
	sub := submitOne(t, c, st, fixture("hello.wav"), submit.Options{})
	n := len(historyEvents(t, st))
	_, err = c.CheckRecorded(context.Background(), st, sub)
	checkMessage(t, err, "HTTP 401", "check FIREWORKS_API_KEY")
	if m := len(historyEvents(t, st)); m != n {
		t.Errorf("a failed check wrote %d events", m-n)
	}
}

func TestWriteResult(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "talk.srt")
	if err := submit.WriteResult(p, []byte("one"), false); err != nil {
		t.Fatal(err)
	}
	err := submit.WriteResult(p, []byte("two"), false)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("second write: %v, want fs.ErrExist naming the file", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "one" {
		t.Errorf("the refused write changed the file: %q", got)
	}
	if err := submit.WriteResult(p, []byte("three"), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "three" {
		t.Errorf("overwrite: %q", got)
	}
	err = submit.WriteResult(filepath.Join(dir, "no", "such", "x.srt"), []byte("x"), false)
	if err == nil || errors.Is(err, fs.ErrExist) {
		t.Errorf("write into a missing folder: %v", err)
	}
}

func TestSaveResult(t *testing.T) {
	p := filepath.Join(t.TempDir(), "results", "id.json")
	for _, data := range []string{`{"text":"a"}`, `{"text":"b"}`} {
		if err := submit.SaveResult(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != data {
			t.Errorf("saved %q, want %q", got, data)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

// TestSaveResultWriteFails: a write that fails (here: over the file size
// limit) is an error, and no truncated result takes the saved one's place.
// The limit is set in a child process: it applies to the whole process,
// and other tests (and the test log) must not hit it.
func TestSaveResultWriteFails(t *testing.T) {
	if p := os.Getenv("FWBATCH_SAVE_RESULT_CHILD"); p != "" {
		var err error
		withFileSizeLimit(t, 1024, func() { err = submit.SaveResult(p, bytes.Repeat([]byte("x"), 4096)) })
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("SaveResult over the file size limit: %v", err)
		}
		return
	}
	p := filepath.Join(t.TempDir(), "results", "id.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveResultWriteFails$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FWBATCH_SAVE_RESULT_CHILD="+p)
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "SKIP") {
		t.Fatalf("the child (file size limit 1 KiB): %v\n%s", err, out)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a truncated result was saved: %v", err)
	}
}

// TestCheckRecordedNotFound: a 404 is the state "not found", recorded once
// as a status event with http_status 404 and no status; the job is then
// left out of background checks, and a check on request asks again.
func TestCheckRecordedNotFound(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "s1-2:404")})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	sub := submitOne(t, c, st, fixture("hello.wav"), submit.Options{})
	ctx := context.Background()
	for i, wantRecorded := range []bool{true, false} {
		res, err := c.CheckRecorded(ctx, st, sub)
		if err != nil || res.State != submit.NotFound || res.Recorded != wantRecorded || res.State.String() != "not found" {
			t.Fatalf("check %d: %+v, %v", i+1, res, err)
		}
		sub = loadSub(t, st, sub.ID)
		if submit.RecordedState(&sub) != submit.NotFound || submit.NeedsCheck(&sub) || !strings.Contains(sub.Message, "HTTP 404") {
			t.Fatalf("check %d: recorded %+v; NeedsCheck %v", i+1, sub, submit.NeedsCheck(&sub))
		}
	}
	evs := historyEvents(t, st)
	last := evs[len(evs)-1]
	if got := kindsOf(evs, sub.ID); !slices.Equal(got, []store.Kind{store.KindStarted, store.KindSubmitted, store.KindStatus}) ||
		last.HTTPStatus != 404 || last.Status != "" {
		t.Errorf("history %v, last event %+v", got, last)
	}
	// Asked again, the server knows the job after all.
	res, err := c.CheckRecorded(ctx, st, sub)
	if err != nil || res.State != submit.Completed || !res.Recorded {
		t.Fatalf("third check: %+v, %v", res, err)
	}
	sub = loadSub(t, st, sub.ID)
	if submit.RecordedState(&sub) != submit.Completed || sub.StatusHTTPStatus != 0 || sub.ResultPath == "" {
		t.Errorf("after it was found: %+v", sub)
	}
}

// TestUnknownNamedJobIsRecordedAndChecked: a reply that named a batch id
// without confirming the submission is recorded as unknown with that id,
// and the job is checked like any other.
func TestUnknownNamedJobIsRecordedAndChecked(t *testing.T) {
	fake := startFake(t, fakeapi.Config{Faults: faults(t, "1:not-submitted=queued-maybe")})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	var log batchLog
	file := fixture("hello.wav")
	c.RunBatch(context.Background(), st, []submit.BatchItem{{File: file}}, 1, log.on)
	ev := log.done(t)[file]
	if ev.Outcome != store.KindUnknown || ev.Reply == nil || ev.Reply.BatchID == "" || !ev.Recorded {
		t.Fatalf("done: %+v", ev)
	}
	sub := loadSub(t, st, ev.Item.ID)
	if sub.Outcome != store.OutcomeUnknown || sub.BatchID != ev.Reply.BatchID || sub.AccountID != "fake-account" ||
		!strings.Contains(sub.Message, `status "queued-maybe"`) || sub.HTTPStatus != 200 {
		t.Fatalf("recorded %+v", sub)
	}
	if !submit.Checkable(&sub) || !submit.NeedsCheck(&sub) {
		t.Fatal("an unknown outcome with a batch id is not checked")
	}
	res, err := c.CheckRecorded(context.Background(), st, sub)
	if err != nil || res.State != submit.NotFound { // the fake made no job
		t.Fatalf("check: %+v, %v", res, err)
	}
	// Without a batch id there is nothing to check, and the reason says
	// what unknown means.
	sub.BatchID = ""
	if submit.Checkable(&sub) || !strings.Contains(submit.NoJobReason(&sub), "a batch job may exist, but no batch id came back to check it with") {
		t.Errorf("no batch id: %q", submit.NoJobReason(&sub))
	}
}

// TestRunBatchUnless: an item whose Unless names a submission is not sent
// and leaves no event; Unless sees the "started" event about to be written
// (fingerprint included) and the history as the file holds it, so an
// upload another process started meanwhile counts.
func TestRunBatchUnless(t *testing.T) {
	fake := startFake(t, fakeapi.Config{APIKey: canary})
	c, _ := newClient(t, fake.URL(), nil)
	st := openStore(t)
	file := fixture("hello.wav")
	fp, _, err := submit.FingerprintFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Another process starts an upload of the same recording after this
	// one's store has read the file.
	if _, err := st.Current("x"); err != nil {
		t.Fatal(err)
	}
	other, _ := store.Open(st.Path())
	if err := other.Append(context.Background(), store.Event{Kind: store.KindStarted, ID: "elsewhere", File: "/moved/hello.wav", Fingerprint: fp}); err != nil {
		t.Fatal(err)
	}
	var seen *store.Event
	sameRecording := func(h *store.History, ev *store.Event) *store.Submission {
		seen = ev
		for i := range h.Len() {
			if s := h.At(i); s.Fingerprint == ev.Fingerprint {
				return s
			}
		}
		return nil
	}
	var log batchLog
	c.RunBatch(context.Background(), st, []submit.BatchItem{{ID: "mine", File: file, Unless: sameRecording}}, 1, log.on)
	ev := log.done(t)[file]
	if ev.Skipped == nil || ev.Skipped.ID != "elsewhere" || ev.Outcome != "" || ev.Err != nil {
		t.Fatalf("done = %+v, want skipped for the submission elsewhere", ev)
	}
	if seen == nil || seen.Kind != store.KindStarted || seen.Fingerprint != fp || seen.ID != "mine" {
		t.Fatalf("Unless saw %+v, want the started event with the file's fingerprint", seen)
	}
	if got := kindsOf(historyEvents(t, st), "mine"); len(got) != 0 || fake.SubmitCount() != 0 {
		t.Fatalf("a skipped item wrote %v and the fake saw %d submits", got, fake.SubmitCount())
	}
	// Naming nothing, the item goes ahead.
	log = batchLog{}
	c.RunBatch(context.Background(), st, []submit.BatchItem{{ID: "mine", File: file, Unless: func(*store.History, *store.Event) *store.Submission { return nil }}}, 1, log.on)
	if ev := log.done(t)[file]; ev.Outcome != store.KindSubmitted || ev.Skipped != nil || fake.SubmitCount() != 1 {
		t.Fatalf("done = %+v, %d submits", ev, fake.SubmitCount())
	}
}

// TestRunBatchRecordsDuration: "started" records how long the recording
// plays, read in the same pass as the checks; a file whose length cannot be
// read is uploaded all the same, with no duration_s.
func TestRunBatchRecordsDuration(t *testing.T) {
	st := openStore(t)
	fake := startFake(t, fakeapi.Config{APIKey: canary})
	c, _ := newClient(t, fake.URL(), nil)
	dir := t.TempDir()
	flac := copyFixture(t, "hello.flac", dir, "hello.flac")
	wav := copyFixture(t, "speech.wav", dir, "speech.wav")
	// Audio bytes the headers of which say nothing: an MP3 frame header,
	// then zeros (as a cut-off recording might be).
	odd := filepath.Join(dir, "odd.mp3")
	if err := os.WriteFile(odd, append([]byte{0xff, 0xfb, 0x90, 0x00}, make([]byte, 100)...), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := submit.Options{}
	items := []submit.BatchItem{{File: flac, Options: opts}, {File: wav, Options: opts}, {File: odd, Options: opts}}
	var log batchLog
	c.RunBatch(context.Background(), st, items, 2, log.on)
	done := log.done(t)
	want := map[string]float64{flac: 1.705, wav: 3, odd: 0}
	for _, e := range historyEvents(t, st) {
		if e.Kind != store.KindStarted {
			continue
		}
		if w, ok := want[e.File]; !ok || e.DurationS != w {
			t.Errorf("%s: started duration_s %v, want %v", filepath.Base(e.File), e.DurationS, w)
		}
		delete(want, e.File)
	}
	if len(want) > 0 {
		t.Errorf("no started event for %v", want)
	}
	if ev := done[odd]; ev.Outcome != store.KindSubmitted || ev.Err != nil {
		t.Errorf("a file of unknown length was not submitted: %+v", ev)
	}
}
