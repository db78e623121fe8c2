package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fixtures in ../testdata/store from fixtureFiles")

const fixtureDir = "../testdata/store"

// Two submissions' worth of well-formed lines, as Append writes them.
const (
	lineStartedA   = `{"v":1,"kind":"started","id":"20260102T030405.000000Z-aaaaaa","time":"2026-01-02T03:04:05Z","host":"box","pid":42,"file":"/data/a.flac","size":1000,"mtime":"2026-01-01T00:00:00Z","task":"transcribe","endpoint":"audio-prod","model":"whisper-v3","options":{"response_format":"json"}}`
	lineSubmittedA = `{"v":1,"kind":"submitted","id":"20260102T030405.000000Z-aaaaaa","time":"2026-01-02T03:04:09Z","host":"box","pid":42,"batch_id":"batch-a","account_id":"acct","endpoint_id":"audio-prod"}`
	lineStartedB   = `{"v":1,"kind":"started","id":"20260102T030410.000000Z-bbbbbb","time":"2026-01-02T03:04:10Z","host":"box","pid":42,"file":"/data/b.flac","size":2000,"task":"translate","endpoint":"audio-turbo","model":"whisper-v3-turbo"}`
	lineSubmittedB = `{"v":1,"kind":"submitted","id":"20260102T030410.000000Z-bbbbbb","time":"2026-01-02T03:04:12Z","host":"box","pid":42,"batch_id":"batch-b"}`
	idA            = "20260102T030405.000000Z-aaaaaa"
	idB            = "20260102T030410.000000Z-bbbbbb"
)

// fixtureFiles is the source of the files in testdata/store; go test
// -run TestFixtureFiles -update writes them.
func fixtureFiles() map[string][]byte {
	nl := func(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }
	longMsg := `{"v":1,"kind":"failed","id":"` + idA + `","time":"2026-01-02T03:04:07Z","host":"box","pid":42,"http_status":500,"message":"` +
		strings.Repeat("x", 2<<20) + `"}`
	array, err := json.MarshalIndent([]map[string]any{
		{"v": 1, "kind": "started", "id": idA, "time": "2026-01-02T03:04:05Z", "file": "/data/a.flac"},
		{"v": 1, "kind": "submitted", "id": idA, "time": "2026-01-02T03:04:09Z", "batch_id": "batch-a"},
	}, "", "  ")
	if err != nil {
		panic(err)
	}
	return map[string][]byte{
		"empty.jsonl":          {},
		"lone-newline.jsonl":   []byte("\n"),
		"nul-block.jsonl":      make([]byte, 4096),
		"crash-nul-tail.jsonl": append(nl(lineStartedA, lineSubmittedA), make([]byte, 512)...),
		"torn-last-line.jsonl": append(nl(lineStartedA, lineSubmittedA), lineStartedB[:97]...),
		"bad-line-middle.jsonl": nl(lineStartedA,
			lineSubmittedA[:60], // a torn line healed by a later append
			lineStartedB,
			"this is not JSON",
			lineSubmittedB),
		"long-line.jsonl": nl(lineStartedA, longMsg, lineStartedB),
		"future-version.jsonl": nl(
			`{"v":2,"kind":"started","id":"20270101T000000.000000Z-cccccc","time":"2027-01-01T00:00:00Z","host":"box","pid":7,"file":"/data/c.flac","checksum":"sha256:00"}`,
			`{"v":2,"kind":"archived","id":"20270101T000000.000000Z-cccccc","time":"2027-01-01T00:01:00Z","size":"1 MB"}`,
			lineStartedA),
		"json-array.jsonl": append(array, '\n'),
	}
}

func TestFixtureFiles(t *testing.T) {
	t.Parallel()
	for name, want := range fixtureFiles() {
		path := filepath.Join(fixtureDir, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./store -run TestFixtureFiles -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from fixtureFiles (line endings changed by git?); run go test ./store -run TestFixtureFiles -update", path)
		}
	}
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	jsonArrayLines := bytes.Count(fixtureFiles()["json-array.jsonl"], []byte("\n"))
	allBad := func(n int) []BadLine {
		var off int64
		var out []BadLine
		for i, l := range strings.SplitAfter(string(fixtureFiles()["json-array.jsonl"]), "\n")[:n] {
			out = append(out, BadLine{Line: i + 1, Offset: off, Length: int64(len(l) - 1)})
			off += int64(len(l))
		}
		return out
	}
	off := func(lines ...string) int64 {
		var n int64
		for _, l := range lines {
			n += int64(len(l)) + 1
		}
		return n
	}
	tests := []struct {
		name    string
		want    Report // Path, Size and the reasons are filled in or checked apart
		reasons []string
		subs    []string // ids, in order
		// after Append on a copy:
		appendErr  error
		movedAside bool
		badAfter   []int // bad line numbers after the append
	}{
		{name: "empty.jsonl", want: Report{}},
		{name: "lone-newline.jsonl", want: Report{Lines: 1, Blank: 1}},
		{name: "nul-block.jsonl", want: Report{Torn: true, TornLine: 1, TornBytes: 4096, Unreadable: true}, movedAside: true},
		{name: "crash-nul-tail.jsonl", want: Report{Lines: 2, Events: 2, Torn: true, TornLine: 3, TornBytes: 512},
			subs: []string{idA}, badAfter: []int{3}},
		{name: "torn-last-line.jsonl", want: Report{Lines: 2, Events: 2, Torn: true, TornLine: 3, TornBytes: 97},
			subs: []string{idA}, badAfter: []int{3}},
		{name: "bad-line-middle.jsonl",
			want: Report{Lines: 5, Events: 3, BadCount: 2, Bad: []BadLine{
				{Line: 2, Offset: off(lineStartedA), Length: 60},
				{Line: 4, Offset: off(lineStartedA, lineSubmittedA[:60], lineStartedB), Length: 16},
			}},
			reasons: []string{"not a JSON object (unexpected end of JSON input", "not a JSON object (invalid character 'h' in literal true"},
			subs:    []string{idA, idB}, badAfter: []int{2, 4}},
		{name: "long-line.jsonl", want: Report{Lines: 3, Events: 3}, subs: []string{idA, idB}},
		{name: "future-version.jsonl", want: Report{Lines: 3, Events: 1, NewerCount: 2, Newer: []int{1, 2}, NewerVersion: 2},
			subs: []string{idA}, appendErr: ErrNewerFormat},
		{name: "json-array.jsonl",
			want:       Report{Lines: jsonArrayLines, BadCount: jsonArrayLines, Bad: allBad(jsonArrayLines), Unreadable: true},
			movedAside: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(fixtureDir, tt.name)
			before := fileSum(t, path)
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			got := h.Report()
			for i := range got.Bad {
				if i < len(tt.reasons) && !strings.HasPrefix(got.Bad[i].Reason, tt.reasons[i]) {
					t.Errorf("line %d: reason %q, want it to start with %q", got.Bad[i].Line, got.Bad[i].Reason, tt.reasons[i])
				}
				if got.Bad[i].Reason == "" {
					t.Errorf("line %d: no reason", got.Bad[i].Line)
				}
				got.Bad[i].Reason = ""
			}
			want := tt.want
			want.Path, want.Size = s.Path(), int64(len(fixtureFiles()[tt.name]))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("report:\n got %+v\nwant %+v", got, want)
			}
			var ids []string
			for _, sub := range h.Submissions() {
				ids = append(ids, sub.ID)
			}
			if !reflect.DeepEqual(ids, tt.subs) {
				t.Errorf("submissions %v, want %v", ids, tt.subs)
			}
			if _, err := s.Refresh(h); err != nil {
				t.Fatal(err)
			}
			if after := fileSum(t, path); after != before {
				t.Fatal("loading changed the file")
			}

			// What the next write does, on a copy.
			cp := copyToTemp(t, path)
			cs, err := Open(cp)
			if err != nil {
				t.Fatal(err)
			}
			old, _ := os.ReadFile(cp)
			err = cs.Append(context.Background(), Event{Kind: KindHidden, ID: "new"})
			if tt.appendErr != nil {
				if !errors.Is(err, tt.appendErr) {
					t.Fatalf("append: %v, want %v", err, tt.appendErr)
				}
				if !errors.Is(cs.CheckWritable(context.Background()), tt.appendErr) {
					t.Fatal("CheckWritable did not refuse as Append did")
				}
				if now, _ := os.ReadFile(cp); !bytes.Equal(now, old) {
					t.Fatal("a refused append changed the file")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h2, err := cs.Load()
			if err != nil {
				t.Fatal(err)
			}
			r2 := h2.Report()
			if r2.Torn || r2.Unreadable || h2.Get("new") == nil || h2.Len() != len(tt.subs)+1 {
				t.Errorf("after append: %+v, %d submissions", r2, h2.Len())
			}
			var bad []int
			for _, b := range r2.Bad {
				bad = append(bad, b.Line)
			}
			if !reflect.DeepEqual(bad, tt.badAfter) {
				t.Errorf("bad lines after append %v, want %v", bad, tt.badAfter)
			}
			now, _ := os.ReadFile(cp)
			if tt.movedAside {
				if len(r2.SetAside) != 1 || !regexp.MustCompile(`/history\.jsonl\.corrupt-\d{8}T\d{6}Z$`).MatchString(r2.SetAside[0]) {
					t.Fatalf("set aside: %q", r2.SetAside)
				}
				if aside, _ := os.ReadFile(r2.SetAside[0]); !bytes.Equal(aside, old) {
					t.Error("the file moved aside is not the old file, byte for byte")
				}
				if r2.Lines != 1 {
					t.Errorf("the new file has %d lines, want 1", r2.Lines)
				}
				return
			}
			if len(r2.SetAside) != 0 {
				t.Errorf("set aside %q", r2.SetAside)
			}
			// Every byte of the old file is still there, in place.
			if !bytes.HasPrefix(now, old) {
				t.Error("the append did not keep the old bytes in place")
			}
		})
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// copyToTemp copies path to a fresh folder as history.jsonl.
func copyToTemp(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return cp
}
