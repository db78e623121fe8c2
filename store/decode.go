package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	gojson "github.com/goccy/go-json"
)

// lineClass is what a line of the history file turned out to be.
type lineClass uint8

const (
	lineEvent lineClass = iota // a valid event of this format version
	lineBlank                  // empty or whitespace only: ignored
	lineBad                    // unreadable: kept in the file and reported
	lineNewer                  // an event of a newer format version: kept, not folded
	lineKeep                   // compaction: an event that stays
)

// decoder turns lines into events. It is not safe for concurrent use.
//
// A line is decoded into Event by github.com/goccy/go-json, which maps JSON
// keys to Event's fields through their `json` struct tags exactly as
// encoding/json does (case-insensitively, unknown keys ignored): a field
// added to Event is read with no change here. encoding/json alone is too
// slow to load 100,000 submissions in half a second; the library is three
// to four times as fast (BenchmarkDecode100k), and was the fastest of the
// libraries measured on the load path (store/README.md, Speed).
//
// A line the library refuses goes to decodeStd, which decides it with
// encoding/json as before, so that what counts as unreadable, and the
// reason given, are encoding/json's. FuzzDecodeLine holds decode to
// decodeStd on any input, and the library to encoding/json on every line
// it accepts.
type decoder struct {
	strs        map[string]string // small repeated values, shared between events
	lastOptions map[string]string // the last non-empty options read, shared by equal ones
}

func newDecoder() *decoder { return &decoder{strs: make(map[string]string)} }

// decode reads one line, without its newline, into ev. For lineBad, reason
// says why; for lineNewer, ev.V is the line's version.
func (d *decoder) decode(line []byte, ev *Event) (class lineClass, reason string) {
	*ev = Event{}
	if isBlank(line) {
		return lineBlank, ""
	}
	if gojson.Unmarshal(line, ev) != nil {
		return decodeStd(line, ev)
	}
	d.share(ev)
	return classify(ev)
}

// decodeStd is decode with encoding/json alone: the judge of the lines the
// library refuses, and the reference the tests hold decode to.
func decodeStd(line []byte, ev *Event) (class lineClass, reason string) {
	*ev = Event{}
	if isBlank(line) {
		return lineBlank, ""
	}
	if err := json.Unmarshal(line, ev); err != nil {
		// A newer format may change a field's type; it is still a newer
		// line, not a broken one, if its version can be read.
		var v struct {
			V int `json:"v"`
		}
		if json.Unmarshal(line, &v) == nil && v.V > FormatVersion {
			ev.V = v.V
			return lineNewer, ""
		}
		return lineBad, jsonReason(err)
	}
	return classify(ev)
}

// classify says whether a decoded line is an event this fwbatch folds.
func classify(ev *Event) (lineClass, string) {
	switch {
	case ev.V > FormatVersion:
		return lineNewer, ""
	case ev.V == 0:
		return lineBad, "no format version (\"v\")"
	case ev.V < 0:
		return lineBad, fmt.Sprintf("invalid format version %d", ev.V)
	case ev.ID == "":
		return lineBad, "no submission id (\"id\")"
	case !ev.Kind.valid():
		return lineBad, fmt.Sprintf("unknown kind %q", ev.Kind)
	}
	return lineEvent, ""
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("not a JSON object (%v at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q holds a JSON %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("not a JSON object (a JSON %s)", typ.Value)
	}
	return "not a history event (" + err.Error() + ")"
}

func (k Kind) valid() bool {
	switch k {
	case KindStarted, KindSubmitted, KindFailed, KindUnknown, KindInterrupted, KindStatus, KindHidden:
		return true
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// share makes the values a history repeats on every line use one copy in
// memory: hosts, tasks, models, statuses, and the options of a run of
// files submitted with the same settings. A loaded history holds every
// submission: loading 100,000 of them peaked at 2.06 times the file's size
// without this, 1.87 with strings alone shared and 1.5 with options maps
// too, for a few percent more CPU (store/README.md, Speed).
// Submissions are read-only, so sharing a map between them is safe. Kinds
// are left alone: a submission keeps one only as the outcome of a failure.
func (d *decoder) share(ev *Event) {
	ev.Host = d.intern(ev.Host)
	ev.Task = d.intern(ev.Task)
	ev.Endpoint = d.intern(ev.Endpoint)
	ev.Model = d.intern(ev.Model)
	ev.AccountID = d.intern(ev.AccountID)
	ev.EndpointID = d.intern(ev.EndpointID)
	ev.Status = d.intern(ev.Status)
	if len(ev.Options) == 0 {
		return // an empty map stays what it was: encoding/json tells {} from none
	}
	if maps.Equal(ev.Options, d.lastOptions) {
		ev.Options = d.lastOptions
		return
	}
	for k, v := range ev.Options {
		ev.Options[k] = d.intern(v)
	}
	d.lastOptions = ev.Options
}

// intern returns s, or an equal string seen before. Long values are rarely
// repeated, and the table stops growing at 4096 values.
func (d *decoder) intern(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return s
	}
	if t, ok := d.strs[s]; ok {
		return t
	}
	if len(d.strs) < 4096 {
		d.strs[s] = s
	}
	return s
}
