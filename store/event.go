// Package store keeps fwbatch's history: an append-only JSON Lines file of
// events about submissions. The Fireworks batch API cannot list jobs, so this
// file is the only record that a batch id exists.
package store

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// FormatVersion is the version written in every line's "v" field. A file
// holding a newer version is read but never written to.
const FormatVersion = 1

// Kind names what an event says about a submission.
type Kind string

const (
	// KindStarted is written, and made durable, before the first byte of an
	// upload is sent.
	KindStarted Kind = "started"
	// KindSubmitted: the server accepted the file and gave a batch id.
	KindSubmitted Kind = "submitted"
	// KindFailed: the server (or a pre-upload check) refused; no job exists.
	KindFailed Kind = "failed"
	// KindUnknown: the whole body was sent but no valid reply came back; a
	// job may or may not exist.
	KindUnknown Kind = "unknown"
	// KindInterrupted: the upload was cancelled or the process was stopped
	// before an outcome was known.
	KindInterrupted Kind = "interrupted"
	// KindStatus: a status the server reported for the batch job.
	KindStatus Kind = "status"
	// KindHidden: the user hid the entry; the record stays as a tombstone.
	KindHidden Kind = "hidden"
)

// Event is one line of the history file. Fields not used by a kind are
// omitted from the JSON. Lines are written and read through these struct
// tags alone (encoding/json writes, goccy/go-json reads, see decoder): a
// new optional field is one field here with a `json:"name,omitempty"` tag.
type Event struct {
	V    int       `json:"v"`
	Kind Kind      `json:"kind"`
	ID   string    `json:"id"`   // local submission id, see NewID
	Time time.Time `json:"time"` // UTC
	Host string    `json:"host,omitempty"`
	PID  int       `json:"pid,omitempty"`

	// started
	File       string            `json:"file,omitempty"` // absolute path
	Size       int64             `json:"size,omitempty"`
	MTime      *time.Time        `json:"mtime,omitempty"`
	Task       string            `json:"task,omitempty"` // transcribe | translate
	Endpoint   string            `json:"endpoint,omitempty"`
	Model      string            `json:"model,omitempty"`
	Options    map[string]string `json:"options,omitempty"`     // every other form field, as sent
	ResubmitOf string            `json:"resubmit_of,omitempty"` // id of the submission this one repeats
	// Fingerprint identifies the recording by its content, wherever it
	// lives later: "v1:<size>:<sha-256 hex of the first and last MiB>"
	// (submit.Fingerprint). Versioned; empty in histories from before it.
	Fingerprint string `json:"fingerprint,omitempty"`
	// DurationS is how long the recording plays, in seconds to the
	// millisecond, read from its headers when it was checked (audio.Probe);
	// absent when they do not say, and in histories from before it.
	DurationS float64 `json:"duration_s,omitempty"`

	// submitted; unknown when the reply named a job without confirming it
	BatchID    string `json:"batch_id,omitempty"`
	AccountID  string `json:"account_id,omitempty"`
	EndpointID string `json:"endpoint_id,omitempty"`

	// failed, unknown, interrupted; status when a check got an HTTP error
	// instead of a status (404: the server does not know the job)
	HTTPStatus int    `json:"http_status,omitempty"`
	Message    string `json:"message,omitempty"` // redacted: never holds the API key

	// status
	Status     string `json:"status,omitempty"`      // as the server spelled it
	ResultPath string `json:"result_path,omitempty"` // where the completed result was saved
}

// NewID returns a local submission id that sorts by creation time:
// "20261128T140959.123456Z-1a2b3c".
func NewID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(b[:])
}
