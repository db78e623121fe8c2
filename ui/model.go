// Package ui is fwbatch's interactive terminal program (Bubble Tea v2). It
// calls submit and store only from tea.Cmds; see ui/README.md for its rules.
package ui

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"charm.land/bubbles/v2/cursor"
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/submit"
)

type page int

const (
	pageFiles page = iota
	pageForm
	pageKey
	pageSubmit
	pageHistory
	pageDetails
	pageLog
)

var pageNames = map[page]string{
	pageFiles:   "Files",
	pageForm:    "Form",
	pageKey:     "API key",
	pageSubmit:  "Submitting",
	pageHistory: "History",
	pageDetails: "Details",
	pageLog:     "Messages",
}

// screen is what every page implements. The root routes key presses to the
// focused screen only, and sizes it.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	view() string
	setSize(w, h int)
	keys() help.KeyMap
	// typing reports whether a text field has focus: then q, ? and other
	// single-letter keys belong to the field.
	typing() bool
}

// shared is what every screen may read: styles, keys, dependencies, clock.
type shared struct {
	st   Styles
	keys keyMap
	deps *Deps
	now  func() time.Time
}

// Model is the root model. It owns the state that outlives a screen (the
// history, uploads, background checks) and the focus.
type Model struct {
	sh *shared

	w, h     int
	page     page
	help     help.Model
	debug    io.Writer
	plain    bool // TERM=dumb
	styledBG bool // a background colour reply has set the styles

	files   *filesScreen
	form    *formScreen
	keyp    *keyScreen
	submit  *submitScreen
	history *historyScreen
	details *detailsScreen

	apiKey string
	client *submit.Client

	hist      *historyData
	reader    *historyReader
	loading   bool
	reading   bool // a history read is in flight
	compacted bool // the session's compaction check has run
	reread    bool // another read was asked for meanwhile

	uploads *uploads
	polls   *poller
	// checks holds what a status check found but could not record in full
	// (a transcript that could not be saved), by submission id.
	checks map[string]checkNote

	notice   notice
	log      *messageLog
	logs     *logScreen
	prevPage page // where the message log goes back to
	confirm  *confirmation

	quitting bool // waiting for uploads to record their outcome before quitting
}

// confirmation is a yes/no question that captures the keyboard until answered.
type confirmation struct {
	question string
	yes      func(m *Model) tea.Cmd
}

// Options tune a Model for its environment.
type Options struct {
	Plain bool // TERM=dumb: ASCII glyphs, no colour
	// NoColor: NO_COLOR is set (to anything non-empty): no colour, text
	// attributes kept. Bubble Tea alone honours only values like 1 or true.
	NoColor bool
	Debug   io.Writer // every message is logged here (never the terminal)
}

// New builds the root model. The real program (Run) and the tests use it.
func New(deps Deps, opts Options) *Model {
	deps.withDefaults()
	sh := &shared{keys: newKeyMap(), deps: &deps, now: time.Now}
	m := &Model{sh: sh, debug: opts.Debug, plain: opts.Plain, apiKey: deps.APIKey, help: help.New()}
	m.setStyles(true)
	m.hist = newHistoryData()
	m.reader = &historyReader{st: deps.Store}
	m.uploads = newUploads()
	m.polls = newPoller(deps.PollFirst, deps.PollMax)
	m.checks = map[string]checkNote{}
	m.files = newFilesScreen(sh, deps.StartDir)
	m.history = newHistoryScreen(sh, m.hist)
	m.submit = newSubmitScreen(sh, m.uploads)
	m.details = newDetailsScreen(sh, m.hist)
	m.log = newMessageLog()
	m.logs = newLogScreen(sh, m.log)
	// An upload without an outcome is this process's, another live one's,
	// or interrupted: the screens ask the root, which knows the first and
	// hears the second from the history reader.
	m.history.state, m.details.state = m.rowState, m.rowState
	m.page = pageFiles
	if len(deps.StartFiles) > 0 {
		m.form = newFormScreen(sh, deps.StartFiles, deps.Defaults)
		m.page = pageForm
	}
	return m
}

func (m *Model) setStyles(isDark bool) {
	if m.plain {
		m.sh.st = PlainStyles()
	} else {
		m.sh.st = NewStyles(isDark)
	}
	m.help.Styles = m.sh.st.Help
	m.help.ShortSeparator, m.help.Ellipsis = m.sh.st.G.HelpSep, m.sh.st.G.Ellipsis
}

// Init starts the first history read and the folder listing; the first frame
// never waits for either.
func (m *Model) Init() tea.Cmd {
	m.loading = true
	m.reading = true
	return tea.Batch(m.reader.load, tea.RequestBackgroundColor, m.files.init())
}

func (m *Model) active() screen {
	switch m.page {
	case pageForm:
		if m.form != nil {
			return m.form
		}
	case pageKey:
		if m.keyp != nil {
			return m.keyp
		}
	case pageSubmit:
		return m.submit
	case pageHistory:
		return m.history
	case pageDetails:
		return m.details
	case pageLog:
		return m.logs
	}
	return m.files
}

// Update routes a message. Keys go to the focused screen unless the root
// owns them (quit, help, a pending confirmation); results of background work
// update the root's state.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.logMsg(msg)
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resize()
		if m.form != nil && !m.form.started && m.w >= minWidth && m.h >= minHeight {
			// huh lays its inputs out for good when they are first focused:
			// a form opened from the command line starts once it has a size.
			return m, m.form.init()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		if !m.styledBG {
			m.styledBG = true
			m.setStyles(msg.IsDark())
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case cursor.BlinkMsg:
		// Text cursors stay steady: a blink is a redraw every half second,
		// which an idle screen over a slow link must not cost. Dropping the
		// message ends the blink loop (huh's inputs start one on focus).
		return m, nil
	}
	if cmd, handled := m.handleEvent(msg); handled {
		return m, cmd
	}
	// Results of a screen's own commands go to that screen, focused or not:
	// a folder listed while the form was open is Files' all the same.
	switch msg.(type) {
	case dirListedMsg:
		return m, m.files.update(msg)
	case transcriptMsg:
		return m, m.details.update(msg)
	case fileSizesMsg:
		if m.form == nil {
			return m, nil
		}
		return m, m.form.update(msg)
	}
	return m, m.active().update(msg)
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.sh.keys
	if m.confirm != nil {
		c := m.confirm
		switch {
		case key.Matches(msg, k.Yes):
			m.confirm = nil
			return c.yes(m)
		case key.Matches(msg, k.No), key.Matches(msg, k.ForceQuit):
			m.confirm = nil
		}
		return nil
	}
	if key.Matches(msg, k.ForceQuit) {
		return m.quit()
	}
	scr := m.active()
	if !scr.typing() {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.resize()
			return nil
		case key.Matches(msg, k.LogOpen) && m.page != pageLog:
			m.prevPage = m.page
			m.setPage(pageLog)
			return nil
		}
	}
	return scr.update(msg)
}

// quit leaves at once when nothing is uploading, and asks first otherwise:
// answering yes cancels the uploads, waits for their "interrupted" events to
// be written, then quits.
func (m *Model) quit() tea.Cmd {
	running, queued := m.uploads.counts()
	if running+queued == 0 {
		return tea.Quit
	}
	m.confirm = &confirmation{
		question: fmt.Sprintf("%s. Quit and interrupt them? (y/N)", capitalize(describeCounts(running, queued))),
		yes: func(m *Model) tea.Cmd {
			m.quitting = true
			m.uploads.cancelAll()
			m.say(notice{text: "Interrupting uploads and recording them in the history…", kind: noticeWarn})
			if m.uploads.inFlight() == 0 {
				return tea.Quit
			}
			return nil
		},
	}
	return nil
}

func (m *Model) setPage(p page) {
	m.page = p
	m.resize()
}

// bodyHeight is what is left for the screen after header, notice and footer.
func (m *Model) footer() string {
	return m.help.View(m.active().keys())
}

func (m *Model) resize() {
	m.help.SetWidth(m.w)
	h := m.h - 2 - lineCount(m.footer())
	if h < 1 {
		h = 1
	}
	for _, s := range []screen{m.files, m.submit, m.history, m.details, m.logs} {
		s.setSize(m.w, h)
	}
	if m.form != nil {
		m.form.setSize(m.w, h)
	}
	if m.keyp != nil {
		m.keyp.setSize(m.w, h)
	}
}

// View draws header, the focused screen, the notice line and the footer.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "fwbatch"
	if m.w <= 0 || m.h <= 0 {
		return v
	}
	if m.w < minWidth || m.h < minHeight {
		v.SetContent(tooSmall(m.w, m.h))
		return v
	}
	footer := m.footer()
	bodyH := m.h - 2 - lineCount(footer)
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteByte('\n')
	b.WriteString(block(m.active().view(), m.w, bodyH))
	b.WriteByte('\n')
	b.WriteString(m.noticeLine())
	b.WriteByte('\n')
	b.WriteString(block(footer, m.w, lineCount(footer)))
	v.SetContent(b.String())
	return v
}

func (m *Model) header() string {
	st := m.sh.st
	left := st.HeaderApp.Render("fwbatch")
	var where string
	if m.sh.deps.Demo {
		where = st.Demo.Render(" DEMO ") + " " + st.Muted.Render("offline fake API")
	} else {
		where = hostOf(m.sh.deps.BaseURL)
	}
	keyState := "no key"
	if m.sh.deps.Demo {
		keyState = "no key needed"
	} else if m.apiKey != "" {
		keyState = "key " + maskKey(m.apiKey)
	}
	right := st.Muted.Render(keyState)
	if running, queued := m.uploads.counts(); running+queued > 0 {
		up := fmt.Sprintf("%s %d uploading", st.G.Up, running)
		if queued > 0 {
			up += fmt.Sprintf(", %d queued", queued)
		}
		right = st.Pending.Render(up) + "  " + right
	}
	tab := st.TabActive.Render(pageNames[m.page])
	line := left + "  " + where + "  " + tab
	gap := m.w - lineWidth(line) - lineWidth(right)
	if gap < 1 {
		return truncate(line+" "+right, m.w)
	}
	return line + strings.Repeat(" ", gap) + right
}

// noticeLine is the last notice, on one line. One cut at the terminal's
// width says where to read it whole.
func (m *Model) noticeLine() string {
	st := m.sh.st
	if m.confirm != nil {
		return truncate(st.Warn.Render("? "+m.confirm.question), m.w)
	}
	if m.notice.text == "" {
		return ""
	}
	text := m.notice.line()
	style := st.Muted
	switch m.notice.kind {
	case noticeErr:
		text, style = st.G.Cross+" "+text, st.Err
	case noticeWarn:
		text, style = st.G.Bang+" "+text, st.Warn
	}
	if lineWidth(text) > m.w && m.page != pageLog {
		hint := "  L shows all"
		return style.Render(truncate(text, m.w-lineWidth(hint))) + st.Muted.Render(hint)
	}
	return truncate(style.Render(text), m.w)
}

// tooSmall is the one line shown instead of the screens, as long as the
// terminal allows.
func tooSmall(w, h int) string {
	for _, s := range []string{
		fmt.Sprintf("fwbatch needs a terminal of at least %d×%d (this one is %d×%d)", minWidth, minHeight, w, h),
		fmt.Sprintf("fwbatch needs at least %d×%d", minWidth, minHeight),
		fmt.Sprintf("needs %d×%d", minWidth, minHeight),
		fmt.Sprintf("%d×%d", minWidth, minHeight),
	} {
		if lineWidth(s) <= w {
			return s
		}
	}
	return truncate("!", w)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// maskKey shows at most the last four characters of an API key.
func maskKey(k string) string {
	if len(k) <= 8 {
		return "…"
	}
	return "…" + k[len(k)-4:]
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return base
	}
	return u.Host
}

func (m *Model) logMsg(msg tea.Msg) {
	if m.debug == nil {
		return
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if m.page == pageKey {
			// Keys typed into the API key prompt are the key itself.
			fmt.Fprintf(m.debug, "%s key (hidden: API key prompt)\n", time.Now().Format(time.RFC3339Nano))
			return
		}
		fmt.Fprintf(m.debug, "%s key %q\n", time.Now().Format(time.RFC3339Nano), msg.String())
	default:
		fmt.Fprintf(m.debug, "%s %T\n", time.Now().Format(time.RFC3339Nano), msg)
	}
}
