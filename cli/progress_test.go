package cli

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/submit"
	"github.com/fwbatch/fwbatch/submit/fakeapi"
)

// TestProgressLineUnits: the progress line gives sizes and the rate in
// binary units, as the UI, --dry-run and sync do (a file of 11 MiB is not
// "11.5 MB" in one place and "11.0 MiB" in another).
func TestProgressLineUnits(t *testing.T) {
	b := &bar{name: "talk.flac", sent: 3 << 20, total: 11 << 20, meter: steady(600 << 10), attempt: 1}
	line := b.line(120, time.Now())
	for _, want := range []string{"3.0 MiB of 11.0 MiB", "600.0 KiB/s"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q: no %q", line, want)
		}
	}
	if strings.Contains(line, " MB") || strings.Contains(line, " kB") {
		t.Errorf("progress line %q: decimal units", line)
	}
}

// TestProgressLineFits: at any width the line fits in one row (the last
// column left free), and what a user watches it for — percent, sizes,
// rate and time left, or "waiting for the reply", and the try — is never
// cut from 80 columns up: the file name and the bar give way first. At 60
// columns a usual upload's tail still shows whole.
func TestProgressLineFits(t *testing.T) {
	now := time.Now()
	const long = "interview with the regional director, part two (uncut).flac"
	for _, tt := range []struct {
		what string
		bar  bar
		tail []string // must show whole
	}{
		{"uploading", bar{name: long, sent: 3 << 20, total: 11 << 20, meter: steady(150_000), attempt: 1},
			[]string{" 27%", "3.0 MiB of 11.0 MiB", "146.5 KiB/s", "0:56 left"}},
		{"biggest figures", bar{name: long, sent: 1000 << 20, total: 1023 << 20, meter: steady(1000 << 10), attempt: 10},
			[]string{" 98%", "1000.0 MiB of 1023.0 MiB", "1000.0 KiB/s", "0:24 left", "(try 10)"}},
		{"slow and long", bar{name: long, sent: 1 << 20, total: 1000 << 20, meter: steady(1 << 10), attempt: 1},
			[]string{"  0%", "1.0 MiB of 1000.0 MiB", "1.0 KiB/s", "284:09:36 left"}},
		{"all sent", bar{name: long, sent: 11 << 20, total: 11 << 20, meter: steady(600 << 10), attempt: 2},
			[]string{"100%", "11.0 MiB of 11.0 MiB", "waiting for the reply", "(try 2)"}},
		{"retry", bar{name: long, total: 11 << 20, attempt: 3, retryAt: now.Add(5 * time.Second), reason: "HTTP 503: Service Unavailable, the server is overloaded"},
			[]string{"try 3 in 5s"}},
	} {
		for _, width := range []int{60, 80, 100, 200} {
			// As the view draws it: cut at the last column but one.
			line := ansi.Truncate(tt.bar.line(width, now), width-1, "…")
			if w := ansi.StringWidth(line); w > width-1 {
				t.Errorf("%s at %d columns: %d wide: %q", tt.what, width, w, line)
			}
			if width < 80 && tt.what != "uploading" && tt.what != "all sent" {
				continue // the biggest figures need more than 60 columns
			}
			for _, want := range tt.tail {
				if !strings.Contains(line, want) {
					t.Errorf("%s at %d columns: %q is cut: %q", tt.what, width, want, line)
				}
			}
			if width >= 80 && !strings.Contains(line, ".flac") {
				t.Errorf("%s at %d columns: the file name's end is gone: %q", tt.what, width, line)
			}
		}
	}
}

// steady is a meter that has measured rate bytes a second, with nothing
// left in the buffers.
func steady(rate float64) rateMeter {
	t := time.Now().Add(-10 * time.Second)
	return rateMeter{samples: []sample{{t, 0}, {t.Add(10 * time.Second), int64(rate * 10)}}}
}

// TestProgressRateHonest: against a server reading 1 MB/s, the rate the
// progress line shows is within 2× of it, and the time left within 2× of
// the server's, from the first figure shown on: the megabytes the kernel's
// buffers take at once in the first tenth of a second do not count as
// speed. The upload is bigger than those buffers (about 4 MiB on loopback).
func TestProgressRateHonest(t *testing.T) {
	t.Parallel()
	const readRate = 1_000_000
	h := newHarness(t, fakeapi.Config{ReadRate: readRate})
	file := h.bigWav("big.wav", 7<<20)
	c, err := submit.NewClient(submit.Config{BaseURL: h.fake.URL(), APIKey: canary})
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(h.dir, "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	v := newProgressView(out, 1)
	defer v.stop()
	v.started("big", "big.wav", 7<<20)
	figures := regexp.MustCompile(`([0-9.]+) (B|KiB|MiB)/s  ([0-9:]+) left`)
	unit := map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20}
	shown := 0
	_, err = c.Submit(context.Background(), file, submit.Options{Endpoint: "audio-prod", ResponseFormat: "json"}, func(p submit.Progress) {
		v.progress("big", p)
		rs := h.fake.Requests()
		if len(rs) == 0 {
			return
		}
		read := rs[len(rs)-1].BodyRead
		v.mu.Lock()
		line := v.find("big").line(200, time.Now())
		v.mu.Unlock()
		m := figures.FindStringSubmatch(line)
		if m == nil {
			return
		}
		shown++
		rate, _ := strconv.ParseFloat(m[1], 64)
		rate *= unit[m[2]]
		if rate < readRate/2 || rate > readRate*2 {
			t.Errorf("%s: shows %.0f bytes/s; the server reads %d", line, rate, readRate)
		}
		var mins, secs int
		fmt.Sscanf(m[3], "%d:%d", &mins, &secs)
		left := float64(mins*60 + secs)
		if real := float64(p.Total-read) / readRate; real > 2 && (left < real/2 || left > real*2) {
			t.Errorf("%s: %.0f s left shown; the server has %.1f s left to read", line, left, real)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if shown < 2 {
		t.Errorf("a rate and time left were shown %d times, want at least 2", shown)
	}
}
