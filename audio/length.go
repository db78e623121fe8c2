package audio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Length is how long a recording plays, or unknown. The zero Length is
// unknown: a file whose headers do not tell is shown as "?" and makes totals
// lower bounds, never a guessed 0.
type Length struct {
	d     time.Duration
	known bool
}

// KnownLength is a Length of d; a negative d is unknown.
func KnownLength(d time.Duration) Length {
	if d < 0 {
		return Length{}
	}
	return Length{d: d, known: true}
}

// LengthOfSeconds is a Length of secs seconds, rounded to the millisecond,
// as the history's duration_s holds it. A value no recording has (negative,
// not a number, more than a year) is unknown: a hand-edited history must
// not make a total absurd.
func LengthOfSeconds(secs float64) Length {
	if math.IsNaN(secs) || secs < 0 || secs > maxSeconds {
		return Length{}
	}
	return KnownLength(time.Duration(math.Round(secs*1000)) * time.Millisecond)
}

// Seconds is the length in seconds to the millisecond, as duration_s
// holds it, and whether it is known.
func (l Length) Seconds() (float64, bool) {
	if !l.known {
		return 0, false
	}
	return l.d.Round(time.Millisecond).Seconds(), true
}

// Duration returns the length and whether it is known.
func (l Length) Duration() (time.Duration, bool) { return l.d, l.known }

// IsKnown reports whether the length is known.
func (l Length) IsKnown() bool { return l.known }

// IsZero reports whether l is unknown, so that `json:",omitzero"` leaves an
// unknown length out.
func (l Length) IsZero() bool { return !l.known }

// MarshalJSON writes the length in seconds, to the millisecond, or null when
// it is unknown: the `duration_s` of fwbatch's JSON output and history.
func (l Length) MarshalJSON() ([]byte, error) {
	secs, ok := l.Seconds()
	if !ok {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, secs, 'f', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Length) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*l = Length{}
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration_s: %w", err)
	}
	if secs < 0 || math.IsInf(secs, 0) || secs > maxSeconds {
		return fmt.Errorf("duration_s: %v is not a number of seconds between 0 and %d", secs, maxSeconds)
	}
	*l = KnownLength(time.Duration(math.Round(secs * float64(time.Second))))
	return nil
}
