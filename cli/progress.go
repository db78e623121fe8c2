package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

// redrawEvery throttles the progress bars: a redraw costs a screenful of
// bytes, which matters over a slow SSH link.
const redrawEvery = 200 * time.Millisecond

// progressView draws one bar per upload in flight, and a line for the whole
// batch, at the bottom of a terminal, redrawn in place. Lines printed
// through it go above the bars.
type progressView struct {
	w     io.Writer
	fd    uintptr
	total int // files in the batch

	mu    sync.Mutex
	bars  []*bar
	done  int
	drawn int // lines of bars on screen
	dirty bool

	quit, stopped chan struct{}
}

type bar struct {
	id, name    string
	sent, total int64
	meter       rateMeter // of the current try
	retryAt     time.Time
	reason      string
	attempt     int
}

func newProgressView(w *os.File, total int) *progressView {
	v := &progressView{w: w, fd: w.Fd(), total: total, quit: make(chan struct{}), stopped: make(chan struct{})}
	go v.loop()
	return v
}

func (v *progressView) loop() {
	defer close(v.stopped)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-v.quit:
			return
		case <-t.C:
			v.mu.Lock()
			if v.dirty {
				v.redrawLocked()
			}
			v.mu.Unlock()
		}
	}
}

// stop removes the bars and ends the redraws.
func (v *progressView) stop() {
	close(v.quit)
	<-v.stopped
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
}

func (v *progressView) started(id, name string, total int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.bars = append(v.bars, &bar{id: id, name: termsafe.Line(name), total: total, attempt: 1})
	v.dirty = true
}

func (v *progressView) progress(id string, p submit.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.find(id)
	if b == nil {
		return
	}
	now := time.Now()
	b.total, b.attempt = p.Total, max(p.Attempt, 1)
	if p.RetryIn > 0 {
		b.retryAt, b.reason = now.Add(p.RetryIn), termsafe.Line(p.RetryReason)
		b.sent, b.meter = 0, rateMeter{}
	} else {
		b.retryAt = time.Time{}
		if p.Sent < b.sent { // a new try starts over
			b.meter = rateMeter{}
		}
		b.meter.add(now, p.Sent)
		b.sent = p.Sent
	}
	v.dirty = true
}

// finished removes an upload's bar and prints its lines above the bars.
func (v *progressView) finished(id string, print func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, b := range v.bars {
		if b.id == id {
			v.bars = append(v.bars[:i], v.bars[i+1:]...)
			break
		}
	}
	v.done++
	v.clearLocked()
	print()
	v.redrawLocked()
}

// above prints lines above the bars.
func (v *progressView) above(print func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	print()
	v.redrawLocked()
}

func (v *progressView) find(id string) *bar {
	for _, b := range v.bars {
		if b.id == id {
			return b
		}
	}
	return nil
}

func (v *progressView) clearLocked() {
	if v.drawn > 0 {
		fmt.Fprintf(v.w, "\r\x1b[%dA\x1b[J", v.drawn)
		v.drawn = 0
	}
}

func (v *progressView) redrawLocked() {
	v.clearLocked()
	width := 80
	if w, _, err := term.GetSize(v.fd); err == nil && w > 0 {
		width = w
	}
	var sb strings.Builder
	lines := 0
	now := time.Now()
	for _, b := range v.bars {
		sb.WriteString(ansi.Truncate(b.line(width, now), width-1, "…") + "\n")
		lines++
	}
	if v.total > 1 {
		sb.WriteString(ansi.Truncate(fmt.Sprintf("%d of %d files done, %d uploading", v.done, v.total, len(v.bars)), width-1, "…") + "\n")
		lines++
	}
	io.WriteString(v.w, sb.String())
	v.drawn = lines
	v.dirty = false
}

// Widths of a bar's line: the name's column, and the bar's between its
// brackets. The bar is drawn only when there is room for barMin.
const (
	nameWidth = 24
	barMin    = 10
	barMax    = 30
)

// line renders one bar in at most width-1 columns: name, bar, then the
// tail a user watches (percent, bytes, rate, time left or "waiting for the
// reply", the try), or the wait before a retry. The tail is laid out first
// and the name and bar share what it leaves, so that a narrow terminal
// loses the bar, then the start of the name, before any figure.
func (b *bar) line(width int, now time.Time) string {
	room := width - 1 // a line filling the last column wraps on some terminals
	if !b.retryAt.IsZero() {
		left := max(b.retryAt.Sub(now), 0).Round(time.Second)
		try := fmt.Sprintf(": try %d in %s", b.attempt, left)
		name := fitName(b.name, min(nameWidth, room-ansi.StringWidth(try)-2-barMin))
		reason := ansi.Truncate(b.reason, room-ansi.StringWidth(name)-2-ansi.StringWidth(try), "…")
		return strings.TrimLeft(name+"  "+reason+try, " ")
	}
	frac := 0.0
	if b.total > 0 {
		frac = float64(b.sent) / float64(b.total)
	}
	tail := b.tail(frac)
	// What the tail leaves: the name first (it says which upload this
	// is), then the bar.
	left := room - ansi.StringWidth(tail)
	name := fitName(b.name, min(nameWidth, left-1))
	left -= ansi.StringWidth(name) + 1
	barWidth := min(barMax, left-3) // the brackets and a space
	if name == "" || barWidth < barMin {
		return ansi.Truncate(strings.TrimLeft(name+" "+tail, " "), room, "…")
	}
	fill := int(frac * float64(barWidth))
	bar := strings.Repeat("=", fill)
	if fill < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-fill-1)
	}
	return name + " [" + bar + "] " + tail
}

// tail is what a bar's line shows whole at 80 columns and up: percent,
// bytes, the rate and time left while the bytes go, then "waiting for the
// reply" (the rate is over by then), and the try after the first.
func (b *bar) tail(frac float64) string {
	s := fmt.Sprintf("%3.0f%%  %s of %s", frac*100, cost.Bytes(b.sent), cost.Bytes(b.total))
	switch {
	case b.sent >= b.total && b.total > 0:
		s += "  waiting for the reply"
	case b.meter.rate() > 0:
		rate := b.meter.rate()
		eta := time.Duration(float64(b.total-b.sent+b.meter.buffered) / rate * float64(time.Second))
		s += fmt.Sprintf("  %s/s  %s left", cost.Bytes(int64(rate)), clock(eta))
	}
	if b.attempt > 1 {
		s += fmt.Sprintf("  (try %d)", b.attempt)
	}
	return s
}

// fitName pads or cuts a file name to width columns, keeping its end (the
// extension, and what tells "take 2" from "take 3"); "" when width is too
// small to say anything.
func fitName(name string, width int) string {
	if width < 4 {
		return ""
	}
	if w := ansi.StringWidth(name); w > width {
		name = "…" + ansi.TruncateLeft(name, w-width+1, "")
	}
	return name + strings.Repeat(" ", width-ansi.StringWidth(name))
}

// The rate and time left of an upload are measured on the bytes handed to
// the kernel, which run ahead of what the server has read by its socket
// buffers (megabytes: on loopback, 4 MiB went in the first 0.1 s against a
// server reading 1 MB/s). Counted as sent, that burst made a 150 kB/s
// upload read 600 kB/s and its time left a quarter of the truth. So the
// meter starts after the burst, measures over a long window, and adds the
// burst's bytes to what is left.
const (
	// burstGap: the first pause this long in the bytes handed over means
	// the buffers are full (the transport hands them over every 100 ms
	// while they have room).
	burstGap = 300 * time.Millisecond
	// burstMax: a link fast enough never to pause has buffers small beside
	// what it moves; the meter starts anyway after this.
	burstMax = time.Second
	// rateWindow: how far back the rate is measured. The kernel takes the
	// bytes in steps of a third of its buffer (a megabyte and more), seconds
	// apart on a slow link: a short window would swing with them.
	rateWindow = 20 * time.Second
)

// rateMeter measures one try of an upload from its progress reports.
type rateMeter struct {
	first, prev sample   // the first report with bytes sent, and the last
	samples     []sample // since the burst, the oldest at or before the window's start
	// buffered is what the burst put in the socket buffers: bytes counted
	// as sent that the server has still to read.
	buffered int64
}

type sample struct {
	t    time.Time
	sent int64
}

func (m *rateMeter) add(now time.Time, sent int64) {
	s := sample{now, sent}
	if m.samples == nil {
		switch {
		case sent == 0: // connecting: no burst yet
			return
		case m.first.t.IsZero():
			m.first, m.prev = s, s
			return
		case now.Sub(m.prev.t) < burstGap && now.Sub(m.first.t) < burstMax:
			m.prev = s
			return
		}
		// The burst has ended with the last report; each later one comes
		// as the kernel frees room, the buffers as full as then.
		m.buffered = m.prev.sent
		m.samples = []sample{m.prev}
	}
	m.samples = append(m.samples, s)
	for len(m.samples) > 2 && now.Sub(m.samples[1].t) >= rateWindow {
		m.samples = m.samples[1:]
	}
	m.prev = s
}

// rate is in bytes per second over the window, 0 until there are two
// reports after the burst.
func (m *rateMeter) rate() float64 {
	if len(m.samples) < 2 {
		return 0
	}
	a, b := m.samples[0], m.samples[len(m.samples)-1]
	if dt := b.t.Sub(a.t).Seconds(); dt > 0 {
		return float64(b.sent-a.sent) / dt
	}
	return 0
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
