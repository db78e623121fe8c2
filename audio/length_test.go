package audio_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fwbatch/fwbatch/audio"
)

func TestLengthJSON(t *testing.T) {
	type row struct {
		Duration audio.Length `json:"duration_s"`
		Omitted  audio.Length `json:"omitted,omitzero"`
	}
	for _, tc := range []struct {
		l    audio.Length
		want string
	}{
		{audio.KnownLength(3*time.Second + 1500*time.Microsecond), `{"duration_s":3.002}`},
		{audio.KnownLength(0), `{"duration_s":0}`},
		{audio.Length{}, `{"duration_s":null}`},
		{audio.KnownLength(-time.Second), `{"duration_s":null}`},
	} {
		b, err := json.Marshal(row{Duration: tc.l})
		if err != nil || string(b) != tc.want {
			t.Errorf("%v: %s, %v; want %s", tc.l, b, err, tc.want)
		}
		var back row
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Duration.IsKnown() != tc.l.IsKnown() {
			t.Errorf("%s read back as %v", b, back.Duration)
		}
	}
	var r row
	for _, bad := range []string{`{"duration_s":-1}`, `{"duration_s":"3"}`, `{"duration_s":1e300}`} {
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestLengthOfSeconds(t *testing.T) {
	for _, tc := range []struct {
		secs float64
		want time.Duration
		ok   bool
	}{
		{1.70475, 1705 * time.Millisecond, true},
		{0, 0, true},
		{3600.0004, time.Hour, true},
		{-1, 0, false},
		{1e300, 0, false},
		{366*24*3600 + 1, 0, false},
	} {
		l := audio.LengthOfSeconds(tc.secs)
		if d, ok := l.Duration(); d != tc.want || ok != tc.ok {
			t.Errorf("LengthOfSeconds(%v) = %v, %v; want %v, %v", tc.secs, d, ok, tc.want, tc.ok)
		}
		if secs, ok := l.Seconds(); ok != tc.ok || ok && audio.LengthOfSeconds(secs) != l {
			t.Errorf("LengthOfSeconds(%v).Seconds() = %v, %v: does not read back", tc.secs, secs, ok)
		}
	}
}
