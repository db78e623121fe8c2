package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line   string
		class  lineClass
		reason string // prefix
	}{
		{lineStartedA, lineEvent, ""},
		{"", lineBlank, ""},
		{" \t\r", lineBlank, ""},
		{"\x00\x00", lineBad, "not a JSON object (invalid character"},
		{"null", lineBad, `no format version ("v")`},
		{"[]", lineBad, "not a JSON object (a JSON array)"},
		{`"text"`, lineBad, "not a JSON object (a JSON string)"},
		{`{"kind":"hidden","id":"x"}`, lineBad, `no format version ("v")`},
		{`{"v":0,"kind":"hidden","id":"x"}`, lineBad, `no format version ("v")`},
		{`{"v":-1,"kind":"hidden","id":"x"}`, lineBad, "invalid format version -1"},
		{`{"v":1,"kind":"hidden"}`, lineBad, `no submission id ("id")`},
		{`{"v":1,"kind":"archived","id":"x"}`, lineBad, `unknown kind "archived"`},
		{`{"v":1,"kind":"hidden","id":"x","size":"big"}`, lineBad, `field "size" holds a JSON string`},
		{`{"v":1,"kind":"hidden","id":"x"} {"v":1}`, lineBad, "not a JSON object (invalid character '{' after top-level value"},
		{`{"v":1,"kind":"hidden","id":"x"`, lineBad, "not a JSON object (unexpected end of JSON input"},
		{`{"v":1,"kind":"hidden","id":"x","time":"yesterday"}`, lineBad, "not a history event"},
		{`{"v":1.5,"kind":"hidden","id":"x"}`, lineBad, `field "v" holds a JSON number 1.5`},
		{`{"v":2,"kind":"archived","id":"x"}`, lineNewer, ""},
		{`{"v":2,"kind":"hidden","id":"x","size":"1 MB"}`, lineNewer, ""},
		{`{"v":1,"kind":"hidden","id":"x"}`, lineEvent, ""}, // no time: allowed, for hand edits
		{`{"V":1,"KIND":"hidden","Id":"x"}`, lineEvent, ""}, // encoding/json's case folding
		{`{"v":1,"kind":"hidden","id":"x","note":"added by hand"}`, lineEvent, ""},
	}
	d := newDecoder()
	for _, tt := range tests {
		var ev Event
		class, reason := d.decode([]byte(tt.line), &ev, nil)
		if class != tt.class || !strings.HasPrefix(reason, tt.reason) || (tt.reason == "") != (reason == "") {
			t.Errorf("%q: class %d %q, want %d %q", tt.line, class, reason, tt.class, tt.reason)
		}
	}
}

// The fast path must take what Append writes, or Load gets slow: this
// guards the speed, the fuzz target guards the correctness.
func TestFastPathTakesWhatAppendWrites(t *testing.T) {
	t.Parallel()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	evs := append(sampleEvents(7, mt),
		Event{Kind: KindFailed, ID: "x", HTTPStatus: 400, Message: `bad "request": <html> & tabs	and
newlines, é ü 日本 🎧, \back\slash`},
		Event{Kind: KindStarted, ID: "y", File: "/home/ünï/\"quoted\".flac", MTime: &mt,
			Options: map[string]string{"prompt": "say \"hi\"\n", "": "", "language": "日本語"}},
		Event{Kind: KindStatus, ID: "z", Status: "FAILED", Message: "\u2028\u2029\x7f\x01"},
		Event{Kind: KindStarted, ID: "w", File: "/a.flac", Size: 3 << 20, MTime: &mt,
			Fingerprint: "v1:3145728:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	)
	lines, err := encodeEvents(evs)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder()
	for _, l := range lines {
		l = l[:len(l)-1]
		var fast, slow Event
		if !fastDecode(l, &fast, d, nil) {
			t.Errorf("fast path refused %s", l)
			continue
		}
		if err := json.Unmarshal(l, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("fast path read %s as\n%+v\nencoding/json as\n%+v", l, fast, slow)
		}
	}
}

func TestNextSpecial(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\"\\\x00\x1f\x20\x7f\x80\xff /é")
	for range 100_000 {
		b := make([]byte, r.IntN(40))
		for k := range b {
			if r.IntN(4) == 0 {
				b[k] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[k] = byte(r.IntN(256))
			}
		}
		j := r.IntN(len(b) + 1)
		want := len(b)
		for k := j; k < len(b); k++ {
			if strByte[b[k]] != sbPlain {
				want = k
				break
			}
		}
		if got := nextSpecial(b, j); got != want {
			t.Fatalf("nextSpecial(%q, %d) = %d, want %d", b, j, got, want)
		}
	}
}

// FuzzDecodeLine checks the line decoder on any input: it never panics,
// whatever the fast path accepts encoding/json accepts too and reads the
// same, and every event it reads can be written back.
func FuzzDecodeLine(f *testing.F) {
	for _, b := range fixtureFiles() {
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(l) < 4096 {
				f.Add(l)
			}
		}
	}
	for _, s := range []string{
		lineStartedA, lineSubmittedA, lineStartedB, lineSubmittedB,
		`{"v":1,"kind":"status","id":"x","status":"COMPLETED","message":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83c\udfa7"}`,
		`{"v":1,"kind":"status","id":"x","message":"\ud83c"}`,
		`{"v":1,"kind":"status","id":"x","message":"\udfa7\ud83c"}`,
		`{"v":1,"kind":"status","id":"x","message":"\u0000"}`,
		"{\"v\":1,\"kind\":\"status\",\"id\":\"x\",\"message\":\"\xff\xfe\"}",
		"{\"v\":1,\"kind\":\"status\",\"id\":\"\xc3\"}",
		`{"v":1,"kind":"hidden","id":"x","id":"y"}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":"1","a":"2"}}`,
		`{"v":1,"kind":"started","id":"x","options":{}}`,
		`{"v":1,"kind":"started","id":"x","size":4,"fingerprint":"v1:4:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`,
		`{"v":1,"kind":"started","id":"x","fingerprint":null}`,
		`{"v":1,"kind":"started","id":"x","fingerprint":"a","fingerprint":"b"}`,
		`{"v":1,"kind":"started","id":"x","options":null}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":1}}`,
		`{"v":1,"kind":"started","id":"x","mtime":null}`,
		`{"v":1,"kind":"started","id":"x","size":-0,"pid":007}`,
		`{"v":1,"kind":"started","id":"x","size":1e3}`,
		`{"v":1,"kind":"started","id":"x","size":99999999999999999999}`,
		`{"v":1,"kind":"started","id":"x","size":999999999999999999}`,
		`{"v":1,"kind":"started","id":"x","pid":-9223372036854775808}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-02-30T00:00:00Z"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01T00:00:00+02:00"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01T00:00:00.123456789012Z"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01t00:00:00z"}`,
		" \t{ \"v\" : 1 , \"kind\" : \"hidden\" , \"id\" : \"x\" } \r",
		"\ufeff{\"v\":1,\"kind\":\"hidden\",\"id\":\"x\"}",
		`{"v":1,"Kind":"hidden","id":"x"}`,
		`{"v":1,"kind":"hidden","id":"x",}`,
		`{"v":true}`, `{}`, `{`, `}`, `"`, `{"`, `{"v"`, `{"v":`, `{"v":1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := newDecoder()
		var fast Event
		if fastDecode(line, &fast, d, nil) {
			var slow Event
			if err := json.Unmarshal(line, &slow); err != nil {
				t.Fatalf("fast path read %q, encoding/json refuses it: %v", line, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q: fast path read\n%#v\nencoding/json read\n%#v", line, fast, slow)
			}
		}
		var ev Event
		class, reason := d.decode(line, &ev, nil)
		switch class {
		case lineBad:
			if reason == "" {
				t.Fatalf("%q: unreadable without a reason", line)
			}
		case lineEvent:
			if _, err := encodeEvents([]Event{ev}); err != nil && len(line) < maxLine/2 {
				t.Fatalf("%q read as an event that cannot be written back: %v", line, err)
			}
		}
	})
}

// A file big enough for the parallel decoders must give exactly what the
// serial path gives, bad lines, blank lines, long lines and torn tail
// included.
func TestParallelScanMatchesSerial(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.jsonl")
	writeSampleHistory(t, path, 12_000)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := `{"v":1,"kind":"failed","id":"` + idA + `","message":"` + strings.Repeat("y", 3<<20) + `"}`
	f.WriteString(lineStartedA + "\n\n  \nnot json\n" + long + "\n" + strings.Repeat("z", maxLine+10) + "\n" + lineSubmittedA + "\n" + lineStartedB[:50])
	f.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < 2*parallelMin {
		t.Fatalf("fixture too small for the parallel path: %v %d", err, fi.Size())
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	par, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	ser := newHistory(s.path)
	r, _ := os.Open(path)
	defer r.Close()
	end, err := ser.scanSerial(r, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if end != par.report.Size {
		t.Errorf("serial read %d bytes, parallel %d", end, par.report.Size)
	}
	sr, pr := ser.report, par.report
	sr.Size, sr.Unreadable, pr.SetAside = pr.Size, pr.Unreadable, nil
	if !reflect.DeepEqual(sr, pr) {
		t.Errorf("reports differ:\nserial   %+v\nparallel %+v", sr, pr)
	}
	if pr.BadCount != 2 || pr.Blank != 2 || !pr.Torn || pr.Events != 3*12_000+3 {
		t.Errorf("unexpected report %+v", pr)
	}
	if !reflect.DeepEqual(ser.Submissions(), par.Submissions()) || !reflect.DeepEqual(ser.state, par.state) {
		t.Error("submissions differ")
	}
}
