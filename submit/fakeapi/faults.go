package fakeapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a fault the fake can inject into a reply.
type Kind string

// The faults. Those marked "submit" only make sense for submissions; the
// rest work for status requests too.
const (
	Unauthorized     Kind = "401"           // 401 before the body is read
	Forbidden        Kind = "403"           // 403 before the body is read
	TooLarge         Kind = "413"           // submit: 413 before the body is read
	Unprocessable    Kind = "422"           // submit: 422 after reading the body; no job
	RateLimited      Kind = "429"           // 429 with Retry-After in seconds, before the body is read
	RateLimitedDate  Kind = "429-date"      // 429 with Retry-After as an HTTP date
	ServerError      Kind = "500"           // 500 after reading the body; no job
	BadGateway       Kind = "502"           // 502 with an HTML page, after reading the body; no job
	Unavailable      Kind = "503"           // 503 without Retry-After, after reading the body; no job
	UnavailableRetry Kind = "503-retry"     // 503 with Retry-After in seconds, after reading the body; no job
	BadJSON          Kind = "bad-json"      // 200 whose body is not JSON (submit: the job was created)
	NoBatchID        Kind = "no-batch-id"   // submit: 200 without batch_id; the job was created
	Reset            Kind = "reset"         // connection reset (submit: after part of the body)
	ResetEarly       Kind = "reset-early"   // connection reset before any of the body is read; no job
	CreatedClose     Kind = "created-close" // submit: job created, then the connection closed (FIN) before any reply
	Hang             Kind = "hang"          // the reply headers never come (submit: body read, no job)
	Trickle          Kind = "trickle"       // a correct reply whose body comes a byte at a time
	StallReply       Kind = "stall-reply"   // a correct reply's headers and first bytes, then nothing
	JobFailed        Kind = "job-failed"    // submit: accepted, but the job's status turns to a failure
	Stall            Kind = "stall"         // submit: stops reading the body part-way and never answers

	// Replies that are odd but carry what matters (the API documents
	// strings; real servers and proxies send other things).
	EchoKey          Kind = "echo-key"           // 401 whose message has the request's key at offset ARG (default 175)
	TypedFields      Kind = "typed-fields"       // submit: accepted; message is an object, account_id a number
	NumericID        Kind = "numeric-id"         // submit: accepted; batch_id is a JSON number
	BOM              Kind = "bom"                // a correct reply that starts with a UTF-8 byte-order mark
	Trailing         Kind = "trailing"           // a correct reply followed by bytes after the JSON
	NotSubmitted     Kind = "not-submitted"      // submit: 200 with status ARG (default "error"), a batch_id and a message; no job
	NotSubmittedNoID Kind = "not-submitted-noid" // submit: the same without a batch_id
	OtherBatch       Kind = "other-batch"        // status: a completed reply naming another batch_id
	NotFound         Kind = "404"                // 404 not found (status: the job is gone, e.g. expired)

	// What a proxy or a moved server in front of the API answers.
	ProxyAuth      Kind = "407"       // 407 Proxy Authentication Required, before the body is read
	ExpectFailed   Kind = "417"       // 417 Expectation Failed to a request with Expect, before the body is read
	ProxyTooLarge  Kind = "413-proxy" // submit: nginx's HTML 413 page, before the body is read
	MovedPermanent Kind = "301"       // 301 to ARG (default the same path on DefaultMovedTo)
	PermanentRedir Kind = "308"       // 308 to ARG (default the same path on DefaultMovedTo)
)

// DefaultMovedTo is where 301 and 308 faults point without an argument.
const DefaultMovedTo = "https://audio-batch.api.fireworks.ai"

var kinds = []Kind{Unauthorized, Forbidden, TooLarge, Unprocessable, RateLimited, RateLimitedDate,
	ServerError, BadGateway, Unavailable, UnavailableRetry, BadJSON, NoBatchID, Reset, ResetEarly, CreatedClose,
	Hang, Trickle, StallReply, JobFailed, Stall, EchoKey, TypedFields, NumericID, BOM, Trailing, NotSubmitted,
	NotSubmittedNoID, OtherBatch, NotFound, ProxyAuth, ExpectFailed, ProxyTooLarge, MovedPermanent, PermanentRedir}

// Fault is one injected fault.
type Fault struct {
	Kind Kind
	// RetryAfter is the Retry-After of 429, 429-date and 503-retry;
	// default 1s.
	RetryAfter time.Duration
	// JobStatus is what a job-failed job's status turns to (default
	// "failed"), or the status a not-submitted reply says (default
	// "error").
	JobStatus string
	// Offset is where echo-key puts the key in its message; default 175.
	Offset int
	// Location is where 301 and 308 point; default the request's path on
	// DefaultMovedTo.
	Location string
}

// Faults selects faults by request number: the Nth submit request (POST to
// a submit path, counted from 1, whatever its fate) and, separately, the
// Nth status request. Key 0 applies to every request without an entry of
// its own.
type Faults struct {
	Submit map[int]Fault
	Status map[int]Fault
}

func (f Faults) submit(n int) Fault { return pick(f.Submit, n) }
func (f Faults) status(n int) Fault { return pick(f.Status, n) }

func pick(m map[int]Fault, n int) Fault {
	if f, ok := m[n]; ok {
		return f
	}
	return m[0]
}

// ParseFaults reads the -faults syntax: comma-separated items
// "[s]WHICH:KIND[=ARG]", where WHICH is a request number N, a range N-M or
// "*" (every request), "s" selects status requests instead of submit
// requests, and ARG is the Retry-After in seconds (429, 429-date,
// 503-retry), the status a job-failed job turns to or a not-submitted
// reply says, the key's offset for echo-key, or the Location of 301 and
// 308. For example "1:429=2,3-4:reset,5:created-close,s2:500,s*:trickle".
func ParseFaults(spec string) (Faults, error) {
	fs := Faults{Submit: map[int]Fault{}, Status: map[int]Fault{}}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		which, what, ok := strings.Cut(item, ":")
		if !ok {
			return Faults{}, fmt.Errorf("fault %q: want [s]N:KIND, e.g. 2:429", item)
		}
		target := fs.Submit
		if rest, isStatus := strings.CutPrefix(which, "s"); isStatus {
			target, which = fs.Status, rest
		}
		kind, arg, _ := strings.Cut(what, "=")
		f := Fault{Kind: Kind(kind)}
		if !slices.Contains(kinds, f.Kind) {
			return Faults{}, fmt.Errorf("fault %q: unknown kind %q (known: %s)", item, kind, kindList())
		}
		if arg != "" {
			switch f.Kind {
			case RateLimited, RateLimitedDate, UnavailableRetry:
				secs, err := strconv.ParseFloat(arg, 64)
				if err != nil || secs < 0 {
					return Faults{}, fmt.Errorf("fault %q: %q is not a number of seconds", item, arg)
				}
				f.RetryAfter = time.Duration(secs * float64(time.Second))
			case JobFailed, NotSubmitted, NotSubmittedNoID:
				f.JobStatus = arg
			case EchoKey:
				n, err := strconv.Atoi(arg)
				if err != nil || n < 0 || n > 1<<16 {
					return Faults{}, fmt.Errorf("fault %q: %q is not an offset (0 to 65536)", item, arg)
				}
				f.Offset = n
			case MovedPermanent, PermanentRedir:
				f.Location = arg
			default:
				return Faults{}, fmt.Errorf("fault %q: %s takes no argument", item, kind)
			}
		}
		lo, hi, err := requestRange(which)
		if err != nil {
			return Faults{}, fmt.Errorf("fault %q: %v", item, err)
		}
		for n := lo; n <= hi; n++ {
			target[n] = f
		}
	}
	return fs, nil
}

func requestRange(s string) (lo, hi int, err error) {
	if s == "*" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(a)
	if err == nil && isRange {
		hi, err = strconv.Atoi(b)
	} else {
		hi = lo
	}
	if err != nil || lo < 1 || hi < lo || hi-lo > 100000 {
		return 0, 0, fmt.Errorf("%q is not a request number, a range N-M or *", s)
	}
	return lo, hi, nil
}

func kindList() string {
	var s []string
	for _, k := range kinds {
		s = append(s, string(k))
	}
	return strings.Join(s, " ")
}
