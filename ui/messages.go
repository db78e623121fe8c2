package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/internal/termsafe"
)

// notice is a message for the user: the last one stays on the line above
// the footer, and every one goes to the message log.
type notice struct {
	text    string
	kind    noticeKind
	subject string // the file or batch id it is about; "" for the program itself
}

type noticeKind int

const (
	noticeInfo noticeKind = iota
	noticeWarn
	noticeErr
)

// line is the notice as one line of text: "talk.flac: completed".
func (n notice) line() string {
	if n.subject == "" {
		return n.text
	}
	return n.subject + ": " + n.text
}

// maxMessages bounds the message log: the oldest go first.
const maxMessages = 1000

// message is one entry of the message log.
type message struct {
	at time.Time
	notice
}

// messageLog keeps every notice, error and background event of the
// session, with its time and full text, so that a line cut at the
// terminal's width can always be read whole (like lazygit's command log).
type messageLog struct {
	items   []message // oldest first
	last    map[string]string
	version int // bumped on every change; the log screen redraws from it
}

func newMessageLog() *messageLog { return &messageLog{last: map[string]string{}} }

func (l *messageLog) add(at time.Time, n notice) {
	if len(l.items) == maxMessages {
		l.items = append(l.items[:0], l.items[1:]...)
	}
	l.items = append(l.items, message{at: at, notice: n})
	l.last[n.subject] = n.text
	l.version++
}

// repeats reports whether n says again what was said last about its
// subject: a background check that fails every minute for an hour is told
// once until something else is said about that job.
func (l *messageLog) repeats(n notice) bool {
	last, ok := l.last[n.subject]
	return ok && n.subject != "" && last == n.text
}

// say shows n on the notice line and adds it to the message log.
func (m *Model) say(n notice) {
	n.text = termsafe.Line(n.text)
	n.subject = termsafe.Line(n.subject)
	m.notice = n
	m.log.add(m.sh.now(), n)
}

// sayNew is say for background events: a repeat of what was said last
// about the same subject is dropped. It reports whether n was said.
func (m *Model) sayNew(n notice) bool {
	n.text = termsafe.Line(n.text)
	n.subject = termsafe.Line(n.subject)
	if m.log.repeats(n) {
		return false
	}
	m.say(n)
	return true
}

// logScreen shows the message log, newest first, each message wrapped to
// the width under its time and kind.
type logScreen struct {
	sh   *shared
	log  *messageLog
	w, h int

	offset int // first line on screen

	lines    []string // rendered, for linesFor
	linesFor [2]int   // log version and width they were rendered for
}

func newLogScreen(sh *shared, log *messageLog) *logScreen {
	return &logScreen{sh: sh, log: log, linesFor: [2]int{-1, -1}}
}

func (s *logScreen) typing() bool     { return false }
func (s *logScreen) setSize(w, h int) { s.w, s.h = w, h; s.clamp() }

func (s *logScreen) keys() help.KeyMap {
	k := s.sh.keys
	return bindings{
		short: []key.Binding{k.Up, k.Down, k.LogClose, k.Help},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.LogClose, k.Help, k.Quit, k.ForceQuit}},
	}
}

func (s *logScreen) pageHeight() int { return max(s.h-1, 1) }

func (s *logScreen) render() []string {
	if s.linesFor == [2]int{s.log.version, s.w} {
		return s.lines
	}
	st := s.sh.st
	const indent = 9 // "15:04:05 "
	s.lines = s.lines[:0]
	for i := len(s.log.items) - 1; i >= 0; i-- {
		msg := s.log.items[i]
		glyph, style := st.G.Info, st.Muted
		switch msg.kind {
		case noticeWarn:
			glyph, style = st.G.Bang, st.Warn
		case noticeErr:
			glyph, style = st.G.Cross, st.Err
		}
		body := wrap(glyph+" "+msg.line(), max(s.w-indent, 10))
		for j, l := range strings.Split(body, "\n") {
			head := strings.Repeat(" ", indent)
			if j == 0 {
				head = st.Muted.Render(msg.at.Local().Format("15:04:05")) + " "
				l = style.Render(l)
			}
			s.lines = append(s.lines, head+l)
		}
	}
	s.linesFor = [2]int{s.log.version, s.w}
	return s.lines
}

func (s *logScreen) clamp() {
	n := len(s.render())
	s.offset = min(max(s.offset, 0), max(n-s.pageHeight(), 0))
}

func (s *logScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	k := s.sh.keys
	if key.Matches(km, k.LogClose) {
		return emit(closeLogMsg{})
	}
	if to, ok := k.moved(km, s.offset, s.pageHeight(), len(s.render())); ok {
		s.offset = to
		s.clamp()
	}
	return nil
}

// closeLogMsg leaves the message log for the screen it was opened from.
type closeLogMsg struct{}

func (s *logScreen) view() string {
	st := s.sh.st
	lines := s.render()
	s.clamp()
	title := st.Title.Render("Messages") + st.Muted.Render(fmt.Sprintf("  %s, newest first", plural(len(s.log.items), "message")))
	if len(s.log.items) == maxMessages {
		title += st.Muted.Render(fmt.Sprintf(" (the last %d)", maxMessages))
	}
	ph := s.pageHeight()
	if len(lines) > ph {
		title += "  " + st.Muted.Render(scrollPos(s.offset, ph, len(lines)))
	}
	var b strings.Builder
	b.WriteString(truncate(title, s.w))
	if len(lines) == 0 {
		b.WriteString("\n" + st.Muted.Render(wrap("Nothing to tell yet: notices, errors and what happens in the background are kept here.", s.w)))
	}
	for i := s.offset; i < len(lines) && i < s.offset+ph; i++ {
		b.WriteString("\n" + truncate(lines[i], s.w))
	}
	return b.String()
}

// scrollPos says where a window of h lines from off stands in n lines:
// "lines 21–40 of 300".
func scrollPos(off, h, n int) string {
	last := min(off+h, n)
	return fmt.Sprintf("lines %d–%d of %d", off+1, last, n)
}
