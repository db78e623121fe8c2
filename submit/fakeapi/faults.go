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
	CreatedReset     Kind = "created-reset" // submit: job created, then the connection reset before any reply
	Hang             Kind = "hang"          // the reply headers never come (submit: body read, no job)
	Trickle          Kind = "trickle"       // a correct reply whose body comes a byte at a time
	JobFailed        Kind = "job-failed"    // submit: accepted, but the job's status turns to a failure
	Stall            Kind = "stall"         // submit: stops reading the body part-way and never answers
)

var kinds = []Kind{Unauthorized, Forbidden, TooLarge, Unprocessable, RateLimited, RateLimitedDate,
	ServerError, BadGateway, Unavailable, UnavailableRetry, BadJSON, NoBatchID, Reset, CreatedReset,
	Hang, Trickle, JobFailed, Stall}

// Fault is one injected fault.
type Fault struct {
	Kind Kind
	// RetryAfter is the Retry-After of 429, 429-date and 503-retry;
	// default 1s.
	RetryAfter time.Duration
	// JobStatus is what a job-failed job's status turns to; default
	// "failed".
	JobStatus string
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
// 503-retry) or the status a job-failed job turns to. For example
// "1:429=2,3-4:reset,5:created-reset,s2:500,s*:trickle".
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
			case JobFailed:
				f.JobStatus = arg
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
