package cost

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

// Unknown is how a length or an amount that cannot be known is shown.
const Unknown = "?"

// Duration formats d for people: "42 s", "3 min 12 s", "3 h 14 min". Under
// an hour it is rounded to the second, from an hour on to the minute.
func Duration(d time.Duration) string {
	switch s := d.Round(time.Second); {
	case d < 0:
		return Unknown
	case d > 0 && s == 0:
		return "< 1 s"
	case s < time.Minute:
		return fmt.Sprintf("%d s", int64(s/time.Second))
	case s < time.Hour:
		m, sec := int64(s/time.Minute), int64(s%time.Minute/time.Second)
		if sec == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, sec)
	}
	m := d.Round(time.Minute)
	h, mins := int64(m/time.Hour), int64(m%time.Hour/time.Minute)
	if mins == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, mins)
}

// Length formats a file's length: Duration, or "?" when it is unknown.
func Length(l audio.Length) string {
	if d, ok := l.Duration(); ok {
		return Duration(d)
	}
	return Unknown
}

// Total adds up the lengths of several files, counting those whose length
// is unknown. The zero Total is empty.
type Total struct {
	Known   time.Duration // the sum of the known lengths
	Files   int
	Unknown int // files whose length is unknown
}

// Sum returns the Total of lengths.
func Sum(lengths ...audio.Length) Total {
	var t Total
	for _, l := range lengths {
		t.Add(l)
	}
	return t
}

// Add counts one more file.
func (t *Total) Add(l audio.Length) {
	t.Files++
	if d, ok := l.Duration(); ok {
		t.Known += d
	} else {
		t.Unknown++
	}
}

// String formats the total: "3 h 14 min"; "≥ 3 h 14 min" when some lengths
// are unknown (the total is a lower bound); "?" when none is known.
func (t Total) String() string {
	switch {
	case t.Files > 0 && t.Unknown == t.Files:
		return Unknown
	case t.Unknown > 0:
		return "≥ " + Duration(t.Known)
	}
	return Duration(t.Known)
}

// usd formats an amount in US dollars: cents from a cent on ("$0.10",
// "$1,234.56"), two significant digits below ("$0.0016").
func usd(v float64) string {
	switch {
	case v == 0:
		return "$0.00"
	case v < 0.01:
		return "$" + strconv.FormatFloat(roundSignificant(v, 2), 'f', -1, 64)
	}
	cents := strconv.FormatFloat(v, 'f', 2, 64)
	whole, frac := cents[:len(cents)-3], cents[len(cents)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return "$" + whole + frac
}

// roundSignificant rounds v to a number of significant digits.
func roundSignificant(v float64, digits int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	return f
}

// Bytes formats a size in binary units, as the UI and the command line show
// sizes beside lengths: "512 B", "16.7 KiB", "420.0 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// BytesOf formats how far part is into whole, "3.2 MiB of 11.0 MiB", so
// that the two never read alike when they differ: where rounding makes them
// equal, it gives the bytes ("11534335 of 11534336 bytes"). An upload
// stopped a few bytes short of "11.0 MiB of 11.0 MiB" would read as if
// every byte had gone.
func BytesOf(part, whole int64) string {
	p, w := Bytes(part), Bytes(whole)
	if p == w && part != whole {
		return fmt.Sprintf("%d of %d bytes", part, whole)
	}
	return p + " of " + w
}
