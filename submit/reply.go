package submit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The API's replies are small JSON objects, but what reaches fwbatch has
// passed through servers and proxies nobody here wrote: a byte-order mark
// in front, a stray newline or HTML comment behind, a number where the docs
// say string, an object where they say message. A batch id is the only
// record of a paid-for job, so a reply is decoded leniently: every field
// that can be read is read, and what was odd is said, never a reason to
// throw the id away.

// replyObject is a reply's top-level object, decoded leniently.
type replyObject struct {
	fields map[string]json.RawMessage
	// broken says why the reply is not a usable JSON object ("" when it
	// is); fields then holds the scalar fields read before the damage.
	broken string
	odd    []string // what was unusual but usable, in order
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeReply reads data's first JSON value as an object. key is redacted
// from what it says about the bytes.
func decodeReply(data []byte, key string) *replyObject {
	r := &replyObject{fields: map[string]json.RawMessage{}}
	if rest, ok := bytes.CutPrefix(data, utf8BOM); ok {
		data = rest
		r.odd = append(r.odd, "a byte-order mark before the JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&r.fields); err != nil {
		r.fields = salvage(data)
		text := truncate(oneLine(Redact(strings.ToValidUTF8(string(data), "?"), key)), 80)
		switch {
		case len(bytes.TrimSpace(data)) == 0:
			r.broken = "reply is empty"
		case json.Valid(data):
			r.broken = fmt.Sprintf("reply is JSON but not an object (%q)", text)
		default:
			r.broken = fmt.Sprintf("reply is not valid JSON (%q)", text)
		}
		return r
	}
	if r.fields == nil { // the reply was null
		r.fields = map[string]json.RawMessage{}
		r.broken = "reply is JSON null"
		return r
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		r.odd = append(r.odd, fmt.Sprintf("%d bytes after the JSON (ignored)", len(rest)))
	}
	return r
}

// salvage returns the scalar fields of a damaged JSON object that come
// before the damage: `{"batch_id":"b1","message":"cut sh` still names b1.
func salvage(data []byte) map[string]json.RawMessage {
	fields := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fields
	}
	for {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return fields
		}
		t, err = dec.Token()
		if err != nil {
			return fields
		}
		switch v := t.(type) {
		case json.Delim: // an object or array: skip it whole
			for depth := 1; depth > 0; {
				t, err := dec.Token()
				if err != nil {
					return fields
				}
				if d, ok := t.(json.Delim); ok {
					if d == '{' || d == '[' {
						depth++
					} else {
						depth--
					}
				}
			}
		case string:
			raw, _ := json.Marshal(v)
			fields[name] = raw
		case json.Number:
			fields[name] = json.RawMessage(v)
		}
	}
}

// text returns a field as text: a string's contents, a number's digits,
// the compact JSON of anything else (noted as odd); "" and false when the
// field is absent or null.
func (r *replyObject) text(name string) (string, bool) {
	raw := bytes.TrimSpace(r.fields[name])
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		raw = compact.Bytes()
	}
	r.odd = append(r.odd, fmt.Sprintf("%s is %s, not a string", name, jsonKind(raw)))
	return string(raw), true
}

// id returns an identifier field: a string, or a number's exact digits
// (noted as odd). An object, array or boolean is no id: problem says so.
func (r *replyObject) id(name string) (id, problem string) {
	raw := bytes.TrimSpace(r.fields[name])
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), ""
	}
	if k := jsonKind(raw); k != "a number" {
		return "", fmt.Sprintf("%s is %s, not an id", name, k)
	}
	r.odd = append(r.odd, name+" is a number, not a string")
	return string(raw), ""
}

func jsonKind(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	}
	return "a number"
}

// oddities says in one phrase what was unusual about a reply, or "".
func (r *replyObject) oddities() string {
	if len(r.odd) == 0 {
		return ""
	}
	return "odd reply: " + strings.Join(r.odd, "; ")
}
