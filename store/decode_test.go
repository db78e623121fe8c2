package store

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
)

// decodeCases are lines with what decode must make of them: today's
// classes and reasons, which are encoding/json's.
var decodeCases = []struct {
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
	{`{"v":1,"kind":"hidden","id":"x","pid":007}`, lineBad, "not a JSON object (invalid character '0' after object key:value pair"},
	{`{"v":2,"kind":"archived","id":"x"}`, lineNewer, ""},
	{`{"v":2,"kind":"hidden","id":"x","size":"1 MB"}`, lineNewer, ""},
	{`{"v":1,"kind":"hidden","id":"x"}`, lineEvent, ""},                // no time: allowed, for hand edits
	{`{"V":1,"KIND":"hidden","Id":"x"}`, lineEvent, ""},                // encoding/json's case folding
	{"{\"v\":1,\"\u212aind\":\"hidden\",\"id\":\"x\"}", lineEvent, ""}, // even with a Kelvin sign
	{`{"v":1,"kind":"hidden","id":"x","note":"added by hand"}`, lineEvent, ""},
	{`{"v":1,"kind":"hidden","id":"x","note":{"by":["hand",1,null]}}`, lineEvent, ""},
	{`{"v":1,"kind":"status","id":"x","message":"\ud83c"}`, lineEvent, ""},             // a lone surrogate reads as U+FFFD
	{"{\"v\":1,\"kind\":\"status\",\"id\":\"x\",\"message\":\"\xff\"}", lineEvent, ""}, // so does invalid UTF-8
}

func TestDecodeClasses(t *testing.T) {
	t.Parallel()
	d := newDecoder()
	for _, tt := range decodeCases {
		var ev Event
		class, reason := d.decode([]byte(tt.line), &ev)
		if class != tt.class || !strings.HasPrefix(reason, tt.reason) || (tt.reason == "") != (reason == "") {
			t.Errorf("%q: class %d %q, want %d %q", tt.line, class, reason, tt.class, tt.reason)
		}
	}
}

// What the library and encoding/json make of lines they both read with a
// twist: the values must be encoding/json's.
func TestDecodeValuesAsEncodingJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want Event
	}{
		{`{"v":1,"kind":"status","id":"x","message":"a\ud83cb\udfa7"}`, Event{V: 1, Kind: KindStatus, ID: "x", Message: "a\uFFFDb\uFFFD"}},
		{"{\"v\":1,\"kind\":\"status\",\"id\":\"x\",\"message\":\"a\xffb\"}", Event{V: 1, Kind: KindStatus, ID: "x", Message: "a\uFFFDb"}},
		{`{"v":1,"kind":"status","id":"x","message":"first","message":"last"}`, Event{V: 1, Kind: KindStatus, ID: "x", Message: "last"}},
		{`{"v":1,"kind":"started","id":"x","options":{"a":"1"},"OPTIONS":{"b":"2"}}`,
			Event{V: 1, Kind: KindStarted, ID: "x", Options: map[string]string{"a": "1", "b": "2"}}}, // merged
		{`{"v":1,"kind":"started","id":"x","options":{}}`, Event{V: 1, Kind: KindStarted, ID: "x", Options: map[string]string{}}},
		{`{"v":1,"kind":"started","id":"x","options":null,"mtime":null,"time":null}`, Event{V: 1, Kind: KindStarted, ID: "x"}},
	}
	d := newDecoder()
	for _, tt := range tests {
		var ev Event
		if class, reason := d.decode([]byte(tt.line), &ev); class != lineEvent || !reflect.DeepEqual(ev, tt.want) {
			t.Errorf("%s: %d %q\n%#v\nwant\n%#v", tt.line, class, reason, ev, tt.want)
		}
	}
}

// filledEvent returns an event with every field of Event set, by
// reflection, so that a field added to Event is covered here without
// writing a test for it.
func filledEvent(t *testing.T) Event {
	t.Helper()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	var ev Event
	v := reflect.ValueOf(&ev).Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(mt))
		case f.Type() == reflect.TypeFor[*time.Time]():
			f.Set(reflect.ValueOf(&mt))
		case f.Kind() == reflect.String:
			f.SetString(`the "` + sf.Name + `" \ é 日本 🎧 <&>`)
		case f.CanInt():
			f.SetInt(int64(1000 + i))
		case f.CanUint():
			f.SetUint(uint64(1000 + i))
		case f.CanFloat():
			f.SetFloat(float64(i) + 0.25)
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Type() == reflect.TypeFor[map[string]string]():
			f.Set(reflect.ValueOf(map[string]string{sf.Name: "one", "prompt": "say \"hi\"\n"}))
		case f.Type() == reflect.TypeFor[[]string]():
			f.Set(reflect.ValueOf([]string{sf.Name, "two"}))
		default:
			t.Fatalf("filledEvent: no value for Event.%s of type %s; add one", sf.Name, f.Type())
		}
	}
	ev.V, ev.Kind = FormatVersion, KindStarted
	return ev
}

// What Append writes must be read by the library, not by the fallback
// (or Load gets slow), and read as encoding/json reads it. Every field of
// Event is in the line, so a field added to Event is checked too.
func TestLibraryTakesWhatAppendWrites(t *testing.T) {
	t.Parallel()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	filled := filledEvent(t)
	evs := append(sampleEvents(7, mt), filled,
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
	for i, l := range lines {
		l = l[:len(l)-1]
		var lib, std, ev Event
		if err := gojson.Unmarshal(l, &lib); err != nil {
			t.Errorf("the library refused %s: %v", l, err)
			continue
		}
		if err := json.Unmarshal(l, &std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(lib, std) {
			t.Errorf("the library read %s as\n%+v\nencoding/json as\n%+v", l, lib, std)
		}
		if class, reason := d.decode(l, &ev); class != lineEvent || !reflect.DeepEqual(ev, std) {
			t.Errorf("decode read %s as %d %q\n%+v", l, class, reason, ev)
		}
		if evs[i].ID == filled.ID && !reflect.DeepEqual(ev, filled) {
			// A field lost its tag or its value on the way.
			t.Errorf("a filled event came back as\n%+v\nwant\n%+v", ev, filled)
		}
	}
}

// Equal options are shared between events, but an event's values never
// change when a later line is read.
func TestSharedValuesStayPut(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"v":1,"kind":"started","id":"a","host":"box","options":{"language":"en","diarize":"true"}}`,
		`{"v":1,"kind":"started","id":"b","host":"box","options":{"diarize":"true","language":"en"}}`,
		`{"v":1,"kind":"started","id":"c","host":"box","options":{"diarize":"true","language":"de"}}`,
		`{"v":1,"kind":"started","id":"d","host":"box","options":{}}`,
		`{"v":1,"kind":"started","id":"e","host":"box"}`,
		`{"v":1,"kind":"started","id":"f","host":"box","options":{"language":"de","diarize":"true"}}`,
	}
	d := newDecoder()
	evs := make([]Event, len(lines))
	for i, l := range lines {
		if class, reason := d.decode([]byte(l), &evs[i]); class != lineEvent {
			t.Fatalf("%s: %q", l, reason)
		}
	}
	for i, l := range lines {
		var std Event
		if err := json.Unmarshal([]byte(l), &std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(evs[i], std) {
			t.Errorf("line %d reads\n%#v\nafter the lines that follow it; encoding/json reads\n%#v", i+1, evs[i], std)
		}
	}
	same := func(a, b map[string]string) bool {
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
	}
	if !same(evs[0].Options, evs[1].Options) || !same(evs[2].Options, evs[5].Options) || same(evs[1].Options, evs[2].Options) {
		t.Error("equal options following each other are not shared, or different ones are")
	}
}

// FuzzDecodeLine checks the line decoder on any input, line by line with
// one decoder: it never panics; whatever the library accepts, encoding/json
// accepts too and reads the same; decode classifies, explains and reads
// every line as decodeStd (encoding/json alone) does, and a value shared
// with an earlier line never changes it; every event it reads can be
// written back.
func FuzzDecodeLine(f *testing.F) {
	for _, b := range fixtureFiles() {
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(l) < 4096 {
				f.Add(l)
			}
		}
	}
	for _, tt := range decodeCases {
		f.Add([]byte(tt.line))
	}
	for _, s := range []string{
		lineStartedA, lineSubmittedA, lineStartedB, lineSubmittedB,
		lineStartedA + "\n" + lineSubmittedA + "\n" + lineStartedB + "\n" + lineSubmittedB,
		`{"v":1,"kind":"status","id":"x","status":"COMPLETED","message":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83c\udfa7"}`,
		`{"v":1,"kind":"status","id":"x","message":"\udfa7\ud83c"}`,
		`{"v":1,"kind":"status","id":"x","message":"\u0000"}`,
		"{\"v\":1,\"kind\":\"status\",\"id\":\"x\",\"message\":\"\xff\xfe\"}",
		"{\"v\":1,\"kind\":\"status\",\"id\":\"\xc3\"}",
		"{\"v\":1,\"kind\":\"status\",\"id\":\"x\",\"me\xffssage\":\"a\"}",
		"{\"v\":1,\"kind\":\"hidden\",\"id\":\"x\",\"\u017fize\":5}",
		`{"v":1,"kind":"hidden","id":"x","id":"y"}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":"1","a":"2"}}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":"1"},"options":{"b":"2"}}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":"1"}}` + "\n" + `{"v":1,"kind":"started","id":"y","options":{"a":"1"},"options":{"b":"2"}}`,
		`{"v":1,"kind":"started","id":"x","options":{}}`,
		`{"v":1,"kind":"started","id":"x","size":4,"fingerprint":"v1:4:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`,
		`{"v":1,"kind":"started","id":"x","fingerprint":null}`,
		`{"v":1,"kind":"started","id":"x","fingerprint":"a","fingerprint":"b"}`,
		`{"v":1,"kind":"started","id":"x","options":null}`,
		`{"v":1,"kind":"started","id":"x","options":{"a":1}}`,
		`{"v":1,"kind":"started","id":"x","mtime":null}`,
		`{"v":1,"kind":"started","id":"x","mtime":"2026-01-01T00:00:00Z","mtime":null}`,
		`{"v":1,"kind":"started","id":"x","size":-0,"pid":007}`,
		`{"v":1,"kind":"started","id":"x","size":1e3}`,
		`{"v":1,"kind":"started","id":"x","size":1.0}`,
		`{"v":1,"kind":"started","id":"x","size":99999999999999999999}`,
		`{"v":1,"kind":"started","id":"x","size":999999999999999999}`,
		`{"v":1,"kind":"started","id":"x","pid":-9223372036854775808}`,
		`{"v":1,"kind":"started","id":"x","pid":9223372036854775808}`,
		`{"v":"1","kind":"hidden","id":"x"}`,
		`{"v":null,"kind":null,"id":null}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-02-30T00:00:00Z"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01T00:00:00+02:00"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01T00:00:00.123456789012Z"}`,
		`{"v":1,"kind":"hidden","id":"x","time":"2026-01-01t00:00:00z"}`,
		`{"v":1,"kind":"hidden","id":"x","time":5}`,
		`{"v":1,"kind":"hidden","id":"x","extra":[1,{"a":[]}],"e2":nul}`,
		`{"v":1,"kind":"hidden","id":"x","extra":1.5e999}`,
		" \t{ \"v\" : 1 , \"kind\" : \"hidden\" , \"id\" : \"x\" } \r",
		"\ufeff{\"v\":1,\"kind\":\"hidden\",\"id\":\"x\"}",
		"{\"v\":1,\"kind\":\"hidden\",\"id\":\"x\"}\x00",
		`{"v":1,"Kind":"hidden","id":"x"}`,
		`{"v":1,"kind":"hidden","id":"x",}`,
		// duration_s is to come: an unknown key today, a number of every shape then
		`{"v":1,"kind":"hidden","id":"x","duration_s":1.5e3,"fingerprint":"abc"}`,
		`{"v":1,"kind":"hidden","id":"x","duration_s":0.1000000000000000055511151231257827021181583404541015625}`,
		`{"v":1,"kind":"hidden","id":"x","duration_s":-1E-320}`,
		`{"v":true}`, `{}`, `{`, `}`, `"`, `{"`, `{"v"`, `{"v":`, `{"v":1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDecoder()
		lines := bytes.Split(data, []byte("\n"))
		evs := make([]Event, len(lines))
		for i, line := range lines {
			var lib Event
			if gojson.Unmarshal(line, &lib) == nil {
				var std Event
				if err := json.Unmarshal(line, &std); err != nil {
					t.Fatalf("the library read %q, encoding/json refuses it: %v", line, err)
				}
				if !reflect.DeepEqual(lib, std) {
					t.Fatalf("%q: the library read\n%#v\nencoding/json read\n%#v", line, lib, std)
				}
			}
			ev := &evs[i]
			class, reason := d.decode(line, ev)
			var std Event
			stdClass, stdReason := decodeStd(line, &std)
			if class != stdClass || reason != stdReason || !reflect.DeepEqual(*ev, std) {
				t.Fatalf("%q: decode says %d %q\n%#v\nencoding/json alone %d %q\n%#v", line, class, reason, *ev, stdClass, stdReason, std)
			}
			switch class {
			case lineBad:
				if reason == "" {
					t.Fatalf("%q: unreadable without a reason", line)
				}
			case lineEvent:
				if _, err := encodeEvents([]Event{*ev}); err != nil && len(line) < maxLine/2 {
					t.Fatalf("%q read as an event that cannot be written back: %v", line, err)
				}
			}
		}
		for i, line := range lines {
			var std Event
			decodeStd(line, &std)
			if !reflect.DeepEqual(evs[i], std) {
				t.Fatalf("%q changed when the lines after it were read:\n%#v", line, evs[i])
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
