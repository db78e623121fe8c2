package ui

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// cancelUploadsMsg asks the root to confirm and cancel running uploads.
type cancelUploadsMsg struct{}

// submitScreen shows a progress bar per file and overall.
type submitScreen struct {
	sh   *shared
	up   *uploads
	w, h int
}

func newSubmitScreen(sh *shared, up *uploads) *submitScreen {
	return &submitScreen{sh: sh, up: up}
}

func (s *submitScreen) typing() bool     { return false }
func (s *submitScreen) setSize(w, h int) { s.w, s.h = w, h }

func (s *submitScreen) keys() help.KeyMap {
	k := s.sh.keys
	short := []key.Binding{k.Continue, k.Help, k.Quit}
	if s.up.inFlight() > 0 {
		short = []key.Binding{k.Cancel, k.Continue, k.Help, k.ForceQuit}
	}
	for _, u := range s.up.shown() {
		if u.done && submit.HTTPStatusOf(u.err) == 401 {
			short = append([]key.Binding{k.APIKey}, short...)
			break
		}
	}
	return bindings{short: short, full: [][]key.Binding{{k.Cancel, k.Continue, k.APIKey}, {k.LogOpen, k.Help, k.Quit, k.ForceQuit}}}
}

func (s *submitScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	k := s.sh.keys
	switch {
	case key.Matches(km, k.Cancel):
		if s.up.inFlight() > 0 {
			return emit(cancelUploadsMsg{})
		}
		return emit(gotoHistoryMsg{})
	case key.Matches(km, k.Continue):
		return emit(gotoHistoryMsg{})
	}
	return nil
}

// gotoHistoryMsg switches to the History screen.
type gotoHistoryMsg struct {
	selectID string
	// reveal: the selected row must show (uploads just ended); a filter
	// that hides it is cleared.
	reveal bool
}

// order puts running uploads first, then queued ones, then finished ones
// (newest first), so what moves is always on screen.
func (s *submitScreen) order() []*upload {
	items := append([]*upload(nil), s.up.shown()...)
	rank := func(u *upload) int {
		switch {
		case !u.done && u.started:
			return 0
		case !u.done:
			return 1
		}
		return 2
	}
	sort.SliceStable(items, func(i, j int) bool {
		ri, rj := rank(items[i]), rank(items[j])
		if ri != rj {
			return ri < rj
		}
		if ri == 2 {
			return i > j
		}
		return false
	})
	return items
}

// progress sums up the uploads shown: every byte of every file counts, so
// the overall bar moves from the first file to the last; a finished file
// counts whole, whatever became of it, and the rate is that of the running
// ones.
type progress struct {
	sent, total             int64
	rate                    float64
	running, queued, done   int
	submitted, notSubmitted int
}

func sumUp(items []*upload) progress {
	var p progress
	for _, u := range items {
		p.total += u.total
		switch {
		case u.done:
			p.sent += u.total
			p.done++
			if u.outcome == store.KindSubmitted {
				p.submitted++
			} else {
				p.notSubmitted++
			}
		case u.started:
			p.sent += min(u.sent, u.total)
			p.rate += u.rate
			p.running++
		default:
			p.queued++
		}
	}
	return p
}

func (s *submitScreen) view() string {
	st := s.sh.st
	now := s.sh.now()
	var b strings.Builder
	items := s.up.shown()
	if len(items) == 0 {
		return st.Muted.Render("Nothing is uploading. tab opens the history.")
	}
	p := sumUp(items)
	title := fmt.Sprintf("Submitting %d file(s): %d done", len(items), p.done)
	if p.running > 0 {
		title += fmt.Sprintf(", %d uploading", p.running)
	}
	if p.queued > 0 {
		title += fmt.Sprintf(", %d queued", p.queued)
	}
	if p.notSubmitted > 0 {
		title += fmt.Sprintf(", %d not submitted", p.notSubmitted)
	}
	b.WriteString(truncate(st.Title.Render(title), s.w))
	b.WriteByte('\n')
	barW := max(s.w-58, 10)
	overall := fmt.Sprintf("%s %s", s.bar(frac(p.sent, p.total), barW), stats(p.sent, p.total, p.rate))
	if p.done == len(items) {
		overall = fmt.Sprintf("%s all finished: %d submitted, %d not submitted", s.bar(1, barW), p.submitted, p.notSubmitted)
	}
	b.WriteString(truncate("overall "+overall, s.w))
	b.WriteByte('\n')
	lines := 2
	for _, u := range s.order() {
		if lines+2 > s.h {
			break
		}
		b.WriteByte('\n')
		b.WriteString(s.itemView(u, now, barW))
		lines += 2
	}
	if p.done == len(items) {
		b.WriteString("\n" + st.Muted.Render("tab opens the history, where each job is followed until its transcript is saved."))
	}
	return b.String()
}

func (s *submitScreen) itemView(u *upload, now time.Time, barW int) string {
	st := s.sh.st
	g := st.G
	name := displayName(u.file)
	var state string
	switch {
	case u.done && u.skipped:
		state = st.Muted.Render(g.Check + " not sent: already submitted " + termsafe.Line(orDash(u.batchID)))
	case u.done && u.outcome == store.KindSubmitted:
		state = st.OK.Render(g.Check + " submitted " + termsafe.Line(u.batchID))
	case u.done:
		word := map[store.Kind]string{store.KindFailed: "failed", store.KindUnknown: "unknown outcome", store.KindInterrupted: "interrupted"}[u.outcome]
		if word == "" {
			word = string(u.outcome)
		}
		style := st.Err
		glyph := g.Cross
		if u.outcome != store.KindFailed {
			style, glyph = st.Warn, g.Question
		}
		msg := word
		if u.err != nil {
			msg += ": " + termsafe.Line(submit.Explain(u.err))
		}
		state = style.Render(glyph + " " + msg)
	case !u.retryAt.IsZero():
		left := u.retryAt.Sub(now).Round(time.Second)
		if left < 0 {
			left = 0
		}
		state = st.Warn.Render(fmt.Sprintf("waiting %s before retrying (%s)", left, termsafe.Line(u.retryReason)))
	case !u.started:
		state = st.Muted.Render("queued")
	case u.allSent:
		// Every byte is sent; the server has not answered yet.
		state = st.Pending.Render(g.Dots + " waiting for the server")
	default:
		state = st.Pending.Render(g.Up + " " + stats(u.sent, u.total, u.rate))
		if u.attempt > 1 {
			state += st.Muted.Render(fmt.Sprintf(" (try %d)", u.attempt))
		}
	}
	head := pad(name, min(30, s.w/3)) + " " + state
	f := frac(u.sent, u.total)
	if u.done && u.outcome == store.KindSubmitted {
		f = 1
	}
	return truncate(head, s.w) + "\n" + truncate("  "+s.bar(f, barW), s.w)
}

// bar draws a static progress bar: no animation, so one progress step is one
// quiet redraw.
func (s *submitScreen) bar(f float64, w int) string {
	g := s.sh.st.G
	full := int(f*float64(w) + 0.5)
	full = min(max(full, 0), w)
	return s.sh.st.Marked.Render(strings.Repeat(g.BarFull, full)) + s.sh.st.Muted.Render(strings.Repeat(g.BarEmpty, w-full))
}

func frac(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// stats is "45% 12.3 MiB/27.1 MiB 8.2 MiB/s ETA 0:02".
func stats(sent, total int64, rate float64) string {
	// Floored: 99.6% is not 100%, which would say the upload is over while
	// bytes are still to send.
	out := fmt.Sprintf("%3.0f%% %s/%s", math.Floor(100*frac(sent, total)), humanBytes(sent), humanBytes(total))
	if rate > 0 {
		out += fmt.Sprintf(" %s/s", humanBytes(int64(rate)))
		if total > sent {
			eta := time.Duration(float64(total-sent) / rate * float64(time.Second))
			out += " ETA " + shortDuration(eta)
		}
	}
	return out
}

func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}
