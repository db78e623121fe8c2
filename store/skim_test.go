package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkSkim compares Skim with Load on the file at path: the same
// submissions, in the same order, with every field of a Brief the same,
// with the file read in one piece and in pieces of a few lines and of one
// line each, folded as the pieces come in.
func checkSkim(t *testing.T, path string) {
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
	for _, pieceSize := range []int64{2 << 20, 2000, 1} {
		got, err := skim(path, (*skimReader).skimLine, pieceSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(subs) {
			t.Fatalf("%s in pieces of %d bytes: Skim found %d submissions, Load %d", filepath.Base(path), pieceSize, len(got), len(subs))
		}
		for i, s := range subs {
			if want := briefOf(s); got[i] != want {
				t.Errorf("%s in pieces of %d bytes: submission %d:\nSkim %+v\nLoad %+v", filepath.Base(path), pieceSize, i, got[i], want)
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

// TestSkimAgreesWithLoad: random histories of events of every kind with
// every field of Event set or not at random, several events per
// submission interleaved as concurrent writers would, strings full of
// quotes, escapes, braces, keys and non-ASCII; and lines cut short, and
// lines written by hand: keys in another order or repeated, spaces,
// capitals, a newer version, garbage.
func TestSkimAgreesWithLoad(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "history.jsonl")
			writeRandomHistory(t, path, rand.New(rand.NewPCG(seed, 1)), 300)
			checkSkim(t, path)
			// Both ways of reading a line are tested.
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(data, []byte("\n"))
			fast := 0
			for _, l := range lines {
				var ev skimmed
				if (&skimReader{dec: newDecoder()}).skimLine(l, &ev) {
					fast++
				}
			}
			if fast < len(lines)/2 || len(lines)-fast < len(lines)/10 {
				t.Errorf("skimLine read %d of %d lines: the decoder or skimLine is barely tested", fast, len(lines))
			}
		})
	}
}

// FuzzSkim: whatever the strings and numbers of the events, and whichever
// of them are written in which order, Skim agrees with Load.
func FuzzSkim(f *testing.F) {
	f.Add("/home/me/a \"b\" \\c.flac", "batch-1", "acct", "COMPLETED", "/r/x.json", `,"file":"x"`, 0, uint8(0))
	f.Add("/tmp/ünï\u2028\x01.wav", `b\"`, "", "processing", "", `"}`, 404, uint8(3))
	f.Add("/a}b{.wav", "b1", "a1", "", "/r}.json", `{"status":"x"}`, 404, uint8(0x2a))
	f.Fuzz(func(t *testing.T, file, batch, account, status, result, message string, httpStatus int, order uint8) {
		id := "20260102T030405.000000Z-fuzz00"
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		evs := []Event{
			{Kind: KindStarted, ID: id, Time: t0, File: file, Options: map[string]string{"prompt": message, "file": result}},
			{Kind: KindSubmitted, ID: id, Time: t0, BatchID: batch, AccountID: account},
			{Kind: KindStatus, ID: id, Time: t0, Status: status, ResultPath: result, Message: message, HTTPStatus: httpStatus},
			{Kind: KindUnknown, ID: id, Time: t0, Message: message, BatchID: result, AccountID: status, HTTPStatus: httpStatus},
			{Kind: KindHidden, ID: id, Time: t0},
			{Kind: KindFailed, ID: id, Time: t0, File: result, Status: file, HTTPStatus: httpStatus},
		}
		// order picks which events are written, and whether the first and
		// the last change places.
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

// FuzzSkimLine: on a line Append writes, whatever its values, skimLine
// reads what Load's decoder reads, and it refuses every part of it cut
// short, as the decoder does.
func FuzzSkimLine(f *testing.F) {
	f.Add(uint8(0), "/a.flac", "b1", 404, `x","y":"z`)
	f.Add(uint8(3), `a}"{b`, "", 0, "")
	f.Add(uint8(5), "", "ü", -7, `{"options":{}}`)
	f.Fuzz(func(t *testing.T, kind uint8, s1, s2 string, n int, s3 string) {
		kinds := []Kind{KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden}
		mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		ev := Event{Kind: kinds[int(kind)%len(kinds)], ID: "20260102T030405.000000Z-" + s3, Time: mt, Host: s3, PID: n,
			File: s1, Size: int64(n), MTime: &mt, Task: s2, Endpoint: s3, Model: s1, Options: map[string]string{s1: s2, s3: s1},
			ResubmitOf: s2, Fingerprint: s3, BatchID: s2, AccountID: s3, EndpointID: s1, HTTPStatus: n, Message: s3,
			Status: s1, ResultPath: s2}
		if kind&0x80 != 0 {
			ev.MTime, ev.Options = nil, nil
		}
		lines, err := encodeEvents([]Event{ev})
		if err != nil {
			t.Skip(err)
		}
		line := lines[0][:len(lines[0])-1]
		sr := &skimReader{dec: newDecoder()}
		var got skimmed
		var want Event
		if class, reason := decodeStd(line, &want); class != lineEvent {
			t.Fatalf("%s: %d %s", line, class, reason)
		}
		if sr.skimLine(line, &got) && got != skimmedOf(&want) {
			t.Errorf("%s:\nskimLine %+v\ndecoder  %+v", line, got, skimmedOf(&want))
		}
		for i := 0; i < len(line); i += max(1, len(line)/500) {
			if sr.skimLine(line[:i], &got) || sr.skimLine(line[:len(line)-1-i], &got) {
				t.Fatalf("skimLine read a line cut short: %s", line[:i])
			}
		}
	})
}

// What Append writes, skimLine reads, rather than the decoder: else Skim
// gets slow.
func TestSkimLineTakesWhatAppendWrites(t *testing.T) {
	t.Parallel()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	filled := filledEvent(t)
	evs := append(sampleEvents(7, mt), filled,
		Event{Kind: KindUnknown, ID: "x", HTTPStatus: 200, Message: "a reply with a status", BatchID: "b", AccountID: "a", EndpointID: "e"},
		Event{Kind: KindStatus, ID: "x", HTTPStatus: 404, Message: "not found"},
		Event{Kind: KindHidden, ID: "x"},
		Event{Kind: KindStarted, ID: "y", File: "/a/{b}.flac", Options: map[string]string{"prompt": "{}", "": ""}},
	)
	for _, ev := range evs {
		ev.Message = strings.ReplaceAll(ev.Message, `\`, "/") // no escapes
		lines, err := encodeEvents([]Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		line := lines[0][:len(lines[0])-1]
		var got skimmed
		if bytes.IndexByte(line, '\\') < 0 && !(&skimReader{dec: newDecoder()}).skimLine(line, &got) {
			t.Errorf("skimLine left to the decoder: %s", line)
		}
	}
}

// TestSkimKnowsEveryKey: skimmed.field knows the JSON type of every field
// of Event, and where each of skimmed's fields goes, by their tags.
func TestSkimKnowsEveryKey(t *testing.T) {
	t.Parallel()
	et, st := reflect.TypeFor[Event](), reflect.TypeFor[skimmed]()
	for i := range et.NumField() {
		ef := et.Field(i)
		tag, _, _ := strings.Cut(ef.Tag.Get("json"), ",")
		var ev skimmed
		typ, str, num := ev.field([]byte(tag))
		want := jsonString
		switch {
		case tag == "v" || tag == "kind" || tag == "id":
			want = jsonNone // read first, and never again: a repeated one goes to the decoder
		case ef.Type.Kind() == reflect.Int || ef.Type.Kind() == reflect.Int64:
			want = jsonNumber
		case ef.Type.Kind() == reflect.Float64:
			want = jsonFloat
		case ef.Type.Kind() == reflect.Map:
			want = jsonObject
		}
		if typ != want {
			t.Errorf("field(%q) = %d, want %d", tag, typ, want)
		}
		sf, has := st.FieldByName(ef.Name)
		if has && tag != "kind" && tag != "id" {
			p := reflect.ValueOf(&ev).Elem().FieldByIndex(sf.Index).Addr().Interface()
			if p != any(str) && p != any(num) {
				t.Errorf("field(%q) does not read skimmed.%s", tag, ef.Name)
			}
		}
	}
}

// TestSkimFieldLists: skimmed's fields are Event's of the same name and
// type, and skimmedOf and setIn carry every one of them; Brief's are
// Submission's, and briefOf and Brief.Submission carry every one of them.
func TestSkimFieldLists(t *testing.T) {
	t.Parallel()
	var sk skimmed
	fill(t, &sk, reflect.TypeFor[Event]())
	var ev Event
	sk.setIn(&ev)
	if back := skimmedOf(&ev); back != sk {
		t.Errorf("skimmed through Event: %+v, want %+v", back, sk)
	}
	var b Brief
	fill(t, &b, reflect.TypeFor[Submission]())
	s := b.Submission()
	if back := briefOf(&s); back != b {
		t.Errorf("Brief through Submission: %+v, want %+v", back, b)
	}
}

// fill sets every field of the struct *p to a value of its own, and checks
// that like has a field of the same name and type.
func fill(t *testing.T, p any, like reflect.Type) {
	t.Helper()
	v := reflect.ValueOf(p).Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if lf, ok := like.FieldByName(sf.Name); !ok || lf.Type != sf.Type {
			t.Errorf("%s.%s is not a field of %s of the same type", v.Type(), sf.Name, like)
		}
		switch {
		case f.Kind() == reflect.String:
			f.SetString("the " + sf.Name)
		case f.CanInt():
			f.SetInt(int64(1000 + i))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("fill: no value for %s.%s of type %s; add one", v.Type(), sf.Name, f.Type())
		}
	}
}

// TestSkimFoldsPiecesLeftBehind: a reader done with a piece while another
// is folding leaves it to that one; if that one has just looked and lets
// go without it, the next reader done folds it, and foldRest the last.
func TestSkimFoldsPiecesLeftBehind(t *testing.T) {
	t.Parallel()
	run := newSkimRun([]int64{0, 10, 20, 30})
	for i, kind := range []Kind{KindStarted, KindSubmitted, KindHidden} {
		run.pieces[i].evs = []skimmed{{Kind: kind, ID: "a", File: "/a.wav", BatchID: "b"}}
	}
	run.mu.Lock() // another reader, folding
	run.done(&run.pieces[0])
	run.mu.Unlock() // and gone without piece 0
	if run.folded != 0 {
		t.Fatalf("%d pieces folded while another reader held the fold", run.folded)
	}
	run.done(&run.pieces[1])
	if run.folded != 2 {
		t.Fatalf("the next reader done folded %d pieces, want 2", run.folded)
	}
	run.mu.Lock()
	run.done(&run.pieces[2])
	run.mu.Unlock()
	run.foldRest()
	want := Brief{ID: "a", File: "/a.wav", BatchID: "b", Outcome: OutcomeSubmitted, Hidden: true}
	if run.folded != 3 || len(run.sf.briefs) != 1 || run.sf.briefs[0] != want {
		t.Errorf("folded %d pieces into %+v, want 3 into %+v", run.folded, run.sf.briefs, want)
	}
}

// writeRandomHistory writes n submissions' events of every kind, every
// field of Event set or left out at random, shuffled the way several
// processes would interleave them, with lines cut short and lines written
// by hand mixed in.
func writeRandomHistory(t *testing.T, path string, r *rand.Rand, n int) {
	t.Helper()
	// Most words are written as they are, some only escaped: lines of
	// both kinds, and as many read by skimLine as by the decoder.
	words := []string{"talk", "ünïcödé", "emoji 🎧", "<&>", "}", "{", "a,b:c", "[1]", ""}
	escaped := []string{`quote"d`, `back\slash`, "tab\there", `,"file":"x"`, `{"batch_id":"y"}`, "line\u2028sep", `"}`, "ctl\x01"}
	word := func() string {
		if r.IntN(30) == 0 {
			return escaped[r.IntN(len(escaped))]
		}
		return words[r.IntN(len(words))]
	}
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	kinds := []Kind{KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var all []Event
	for i := range n {
		id := fmt.Sprintf("%s-%06x", t0.Add(time.Duration(i)*time.Second).Format("20060102T150405.000000Z"), i)
		var evs []Event
		if r.IntN(20) != 0 { // or no started event
			evs = append(evs, Event{Kind: KindStarted, ID: id})
		}
		for range r.IntN(5) {
			evs = append(evs, Event{Kind: kinds[r.IntN(len(kinds))], ID: id})
		}
		for j := range evs {
			ev := &evs[j]
			mt := t0.Add(-time.Duration(r.IntN(3)) * time.Hour)
			*ev = Event{Kind: ev.Kind, ID: id, Time: t0.Add(time.Duration(i+j) * time.Second), Host: pick("box", "", word()),
				PID: r.IntN(3) * 4242, File: pick("", "/rec/"+word()+".flac"), Size: int64(r.IntN(3)) << 20, Task: pick("", "transcribe"),
				Endpoint: pick("", "audio-prod"), Model: pick("", "whisper-v3"), ResubmitOf: pick("", word()),
				Fingerprint: pick("", "v1:1:ab"), BatchID: pick("", "", fmt.Sprintf("batch-%d", i), word()), AccountID: pick("", "acct", word()),
				EndpointID: pick("", "audio-prod"), HTTPStatus: []int{0, 0, 404, 500, 200}[r.IntN(5)], Message: pick("", word()),
				Status: pick("", "", "processing", "COMPLETED", "completed", "failed", word()), ResultPath: pick("", "", "/results/"+word()+".json")}
			if r.IntN(2) == 0 {
				ev.MTime = &mt
			}
			if r.IntN(2) == 0 {
				ev.Options = map[string]string{"prompt": word(), "file": word(), word(): word()}
			}
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
		case 3: // the same event by hand, with spaces
			b.WriteString(strings.Replace(strings.Replace(string(l), `{"v":1,`, `{ "v" : 1 , `, 1), `"kind":`, `"kind" :`, 1))
			continue
		case 7: // in capitals: encoding/json takes them for the fields
			b.WriteString(strings.Replace(strings.Replace(string(l), `"status":`, `"Status":`, 1), `"file":`, `"FILE":`, 1))
			continue
		case 4:
			b.WriteString(`{"v":2,"kind":"started","id":"x","file":"/newer.flac"}` + "\n")
		case 6, 8: // keys in another order, and repeated: the last one counts
			b.WriteString(handReordered(string(l[:len(l)-1])) + "\n")
			continue
		}
		b.Write(l)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// handReordered moves the fields after the id of a line without nested
// objects to the front of them in reverse order, and repeats the first
// with another value before it.
func handReordered(line string) string {
	head, rest, ok := strings.Cut(line, `","time":`)
	if !ok || strings.ContainsAny(rest, `{\`) {
		return line
	}
	parts := strings.Split(strings.TrimSuffix(`"time":`+rest, "}"), `,"`)
	for i := 1; i < len(parts); i++ {
		parts[i] = `"` + parts[i]
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	key, value, _ := strings.Cut(parts[0], ":")
	repeated := `"repeated"`
	if !strings.HasPrefix(value, `"`) {
		repeated = "7"
	}
	return head + `",` + key + ":" + repeated + "," + strings.Join(parts, ",") + "}"
}

// TestSkimPiecesFarApart: every submission's events far apart, so that
// each kind of event lands in another piece than the one before: folded as
// the pieces come in, they must give what one fold gives.
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
			rounds[1] = append(rounds[1], Event{Kind: KindUnknown, ID: id, BatchID: fmt.Sprint("u", i)})
			rounds[3] = append(rounds[3], Event{Kind: KindSubmitted, ID: id, BatchID: fmt.Sprint("b", i), AccountID: "a"})
		case 1:
			rounds[1] = append(rounds[1], Event{Kind: KindSubmitted, ID: id, BatchID: fmt.Sprint("b", i), AccountID: "a"})
			rounds[2] = append(rounds[2], Event{Kind: KindStatus, ID: id, Status: "completed", ResultPath: "/r/" + id})
			rounds[4] = append(rounds[4], Event{Kind: KindStatus, ID: id, HTTPStatus: 404}) // no status: not found
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
	checkSkim(t, path)
}
