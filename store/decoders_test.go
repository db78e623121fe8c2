package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bytedance/sonic"
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	gojson "github.com/goccy/go-json"
	segjson "github.com/segmentio/encoding/json"
)

// An experiment: the candidates for the line decoder, side by side on the
// real load path (Store.Load: read, decode on two goroutines, fold).
//
//	go test -c -o /tmp/store.test ./store
//	cd store && ROUNDS=6 /tmp/store.test -test.run '^$' -test.bench LoadDecoders -test.benchtime 3x
//
// Each of ROUNDS rounds runs every candidate once, in turn, so that all see
// the same load on a shared machine (the testing package names the later
// rounds name#01, name#02, …). Peak memory is measured as BenchmarkLoad100k
// does, by a fresh process that only loads the file.
type candidate struct {
	name  string
	share int // shareMode: 0 none, 1 strings, 2 strings and options maps
	fast  func() func([]byte, any) error
}

// The options that make go-json-experiment read as encoding/json does:
// case-insensitive names, '_' and '-' not ignored. Its defaults refuse
// duplicate names and invalid UTF-8, which then go to decodeStd.
var v2Opts = jsonv2.JoinOptions(jsonv2.MatchCaseInsensitiveNames(true), jsonv1.MatchCaseSensitiveDelimiter(true))

func v2Unmarshal() func([]byte, any) error {
	return func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, v2Opts) }
}

func goccy() func([]byte, any) error { return gojson.Unmarshal }

var candidates = []candidate{
	{"handwritten", 0, func() func([]byte, any) error {
		// It shared strings and ids itself.
		d := &hwDecoder{strs: make(map[string]string)}
		return func(line []byte, v any) error {
			if fastDecode(line, v.(*Event), d, nil) {
				return nil
			}
			return json.Unmarshal(line, v)
		}
	}},
	{"encoding-json", 2, func() func([]byte, any) error { return json.Unmarshal }},
	{"goccy", 2, goccy},
	{"goccy-strings", 1, goccy},
	{"goccy-noshare", 0, goccy},
	{"json-experiment", 2, v2Unmarshal},
	{"json-experiment-noshare", 0, v2Unmarshal},
	{"segmentio", 2, func() func([]byte, any) error { return segjson.Unmarshal }},
	// ConfigStd: strings copied (the default refers to the input, which
	// the reader reuses) and checked as encoding/json does.
	{"sonic-std", 2, func() func([]byte, any) error { return sonic.ConfigStd.Unmarshal }},
}

func useCandidate(name string) error {
	for _, c := range candidates {
		if c.name == name {
			newFast, shareMode = c.fast, c.share
			return nil
		}
	}
	return fmt.Errorf("no candidate %q", name)
}

func BenchmarkLoadDecoders(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.jsonl")
	writeSampleHistory(b, path, 100_000)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	rounds, _ := strconv.Atoi(os.Getenv("ROUNDS"))
	keepFast, keepShare := newFast, shareMode
	defer func() { newFast, shareMode = keepFast, keepShare }()
	for range max(rounds, 1) {
		for _, c := range candidates {
			b.Run(c.name, func(b *testing.B) {
				out, err := helperCmd("load-rss", path, c.name).Output()
				if err != nil {
					b.Fatal(err)
				}
				peak, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
				if err != nil {
					b.Fatalf("%v: %q", err, out)
				}
				useCandidate(c.name)
				b.SetBytes(fi.Size())
				cpu0 := cpuTime(b)
				for b.Loop() {
					h, err := s.Load()
					if err != nil || h.Len() != 100_000 || !h.Report().Clean() {
						b.Fatal(err, h.Len(), h.Report())
					}
				}
				b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(peak)/float64(fi.Size()), "peak/file")
			})
		}
	}
}
