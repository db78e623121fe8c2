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

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/recording"
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
	st Styles
	// styleGen is bumped with every new Styles: what was drawn with the
	// old ones is drawn again.
	styleGen int
	keys     keyMap
	deps     *Deps
	now      func() time.Time
	// rec tells what the history holds of audio files (Files' states, the
	// form's count of files already sent); it changes with each read.
	rec *recordings
}

// Model is the root model. It owns the state that outlives a screen (the
// history, uploads, background checks) and the focus.
type Model struct {
	sh *shared

	w, h int
	page page
	help help.Model
	// helpTop is the first line of the full help shown when it is longer
	// than its room; helpLines is how many it has at this width.
	helpTop, helpLines int
	debug              io.Writer
	plain              bool // TERM=dumb
	styledBG           bool // a background colour reply has set the styles

	files   *filesScreen
	form    *formScreen
	keyp    *keyScreen
	submit  *submitScreen
	history *historyScreen
	details *detailsScreen

	apiKey string
	client *submit.Client
	// guard keeps an upload the form meant to skip if done from being made
	// when another fwbatch sent the same recording meanwhile.
	guard *recording.Guard

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
	keyFrom  page // where the API key prompt goes back to
	// formDraft is what the last form held when the user left it with esc:
	// the next form starts from it.
	formDraft *formValues
	dialog    *dialog // a question that takes every key until answered

	quitting bool // waiting for uploads to record their outcome before quitting

	drawn drawnCache
	// dirty: something on screen may have changed since the last View;
	// when not, View returns the last frame as it was. Bubble Tea draws
	// after every message, and an idle History gets several a second
	// (timers, background checks) that change nothing (quiet).
	dirty, quiet bool
	frame        tea.View
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
	sh := &shared{keys: newKeyMap(opts.Plain), deps: &deps, now: time.Now, rec: newRecordings(deps.Store)}
	m := &Model{sh: sh, debug: opts.Debug, plain: opts.Plain, apiKey: deps.APIKey, help: help.New()}
	m.setStyles(true)
	m.hist = newHistoryData()
	m.reader = &historyReader{st: deps.Store}
	m.uploads = newUploads()
	m.polls = newPoller(deps.PollFirst, deps.PollMax)
	m.checks = map[string]checkNote{}
	m.guard = recording.NewGuard(nil)
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
		m.form = newFormScreen(sh, deps.StartFiles, valuesOf(deps.Defaults))
		m.page = pageForm
	}
	return m
}

func (m *Model) setStyles(isDark bool) {
	m.sh.styleGen++
	m.drawn = drawnCache{}
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
	// A handler that knows nothing on screen changed says so (quiet); any
	// other message makes the next View draw.
	m.quiet = false
	defer func() {
		if !m.quiet {
			m.dirty = true
		}
	}()
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
		m.quiet = true
		return m, nil
	}
	if cmd, handled := m.handleEvent(msg); handled {
		return m, cmd
	}
	// Results of a screen's own commands go to that screen, focused or not:
	// a folder listed while the form was open is Files' all the same.
	switch msg.(type) {
	case dirListedMsg, filesLengthsMsg, fileStatesMsg:
		return m, m.updateFiles(msg)
	case transcriptMsg:
		return m, m.details.update(msg)
	case filesCheckedMsg, formLengthsMsg, formRecordingsMsg:
		if m.form == nil {
			return m, nil
		}
		return m, m.form.update(msg)
	}
	return m, m.active().update(msg)
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.sh.keys
	if m.dialog != nil {
		return m.dialogKey(msg)
	}
	if key.Matches(msg, k.ForceQuit) {
		return m.quit()
	}
	if m.help.ShowAll && msg.String() == "esc" {
		m.help.ShowAll = false
		m.resize()
		return nil
	}
	if m.helpScrolls() && m.scrollHelp(msg) {
		m.resize()
		return nil
	}
	scr := m.active()
	if !scr.typing() {
		switch {
		case key.Matches(msg, k.Quit) && m.page != pageForm:
			// (q in the form is a letter the user meant for it; only
			// ctrl+c leaves, and asks first when there are edits.)
			return m.quit()
		case key.Matches(msg, k.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.helpTop = 0
			m.resize()
			return nil
		case key.Matches(msg, k.LogOpen) && m.page != pageLog:
			m.prevPage = m.page
			m.setPage(pageLog)
			return nil
		case key.Matches(msg, k.Uploads) && m.page != pageSubmit && m.page != pageKey:
			if len(m.uploads.shown()) == 0 {
				m.say(notice{text: "nothing has been uploaded in this session"})
				return nil
			}
			m.setPage(pageSubmit)
			return nil
		case key.Matches(msg, k.APIKey) && m.page != pageKey:
			return m.askKey(nil)
		}
	}
	if scr == m.files {
		return m.updateFiles(msg)
	}
	return scr.update(msg)
}

// updateFiles lets Files handle msg, and keeps in the message log what it
// says went wrong: its problem line shows only the last one.
func (m *Model) updateFiles(msg tea.Msg) tea.Cmd {
	before := m.files.problem
	cmd := m.files.update(msg)
	if p := m.files.problem; p != "" && p != before {
		m.log.add(m.sh.now(), notice{text: p, kind: noticeErr})
	}
	return cmd
}

// quit leaves at once when nothing is uploading, and asks first otherwise:
// answering yes cancels the uploads, waits for their "interrupted" events to
// be written, then quits. A second ctrl+c quits at once, as in the CLI
// (cli then waits for the outcomes to be written before the process ends).
func (m *Model) quit() tea.Cmd {
	running, queued := m.uploads.counts()
	if running+queued == 0 {
		if m.page == pageForm && m.form != nil && m.form.edited() {
			m.ask(&dialog{
				title: "Quit fwbatch?",
				text:  "The form's values were changed and nothing was submitted: quitting forgets them.",
				yes:   "Quit", no: "Stay", safe: true,
				onYes: func(*Model) tea.Cmd { return tea.Quit },
				ctrlC: func(*Model) tea.Cmd { return tea.Quit },
			})
			return nil
		}
		return tea.Quit
	}
	if m.quitting {
		return m.quitNow()
	}
	m.ask(&dialog{
		title: "Quit fwbatch?",
		text: capitalize(describeCounts(running, queued)) + ". Quitting interrupts them: each is recorded as interrupted, " +
			"and must be submitted again. (A second ctrl+c quits at once.)",
		yes: "Quit and interrupt", no: "Keep uploading", safe: true,
		onYes: func(m *Model) tea.Cmd {
			m.quitting = true
			m.interrupt()
			m.say(notice{text: "Interrupting uploads and recording them in the history…", kind: noticeWarn})
			if m.uploads.inFlight() == 0 {
				return tea.Quit
			}
			return nil
		},
		ctrlC: (*Model).quitNow,
	})
	return nil
}

// quitNow quits without waiting for the interrupted uploads' outcomes to
// reach the screen.
func (m *Model) quitNow() tea.Cmd {
	m.interrupt()
	return tea.Quit
}

// interrupt cancels the uploads, noting that the user interrupted some:
// the program then exits 1, as fwbatch submit does.
func (m *Model) interrupt() {
	if m.uploads.inFlight() > 0 {
		m.uploads.interrupted.Store(true)
	}
	m.uploads.cancelAll()
}

func (m *Model) setPage(p page) {
	m.page = p
	m.resize()
}

// bodyHeight is what is left for the screen after header, notice and footer.
// footer is the help line of the focused screen (or of the dialog).
func (m *Model) footer() string {
	km := m.active().keys()
	if m.dialog != nil {
		km = m.dialogKeys()
	}
	// help.View measures every key's width; the same keys at the same
	// width draw the same line, so it is drawn once.
	var key strings.Builder
	fmt.Fprintf(&key, "%d %d %v %d|", m.w, m.h, m.help.ShowAll, m.helpTop)
	for _, b := range km.ShortHelp() {
		fmt.Fprintf(&key, "%s=%s;", b.Help().Key, b.Help().Desc)
	}
	if m.help.ShowAll {
		for _, col := range km.FullHelp() {
			for _, b := range col {
				fmt.Fprintf(&key, "%s=%s;", b.Help().Key, b.Help().Desc)
			}
			key.WriteByte('|')
		}
	}
	if c := &m.drawn.footer; c.key != key.String() {
		v := m.help.ShortHelpView(km.ShortHelp())
		if m.help.ShowAll {
			v = m.fullHelp(km)
		}
		c.key, c.text = key.String(), block(v, m.w, lineCount(v))
	}
	return m.drawn.footer.text
}

// drawnCache keeps parts of the last frame with what they were drawn from:
// an idle screen is redrawn on every message Bubble Tea delivers (timers,
// background checks), and most frames are the last one again.
type drawnCache struct {
	header, footer, notice cached
	body                   struct {
		src  string
		w, h int
		text string
	}
}

type cached struct{ key, text string }

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
	if !m.dirty && m.frame.Content != "" {
		return m.frame
	}
	m.frame, m.dirty = m.view(), false
	return m.frame
}

func (m *Model) view() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "fwbatch"
	if m.w <= 0 || m.h <= 0 {
		return v
	}
	if m.w < minWidth || m.h < minHeight {
		line := tooSmall(m.w, m.h)
		if m.plain {
			line = asciiFrame.Replace(line)
		}
		v.SetContent(line)
		return v
	}
	footer := m.footer()
	bodyH := m.h - 2 - lineCount(footer)
	body := m.active().view()
	if m.dialog != nil {
		body = overlay(block(body, m.w, bodyH), m.dialogBox(m.w, bodyH), m.w, bodyH)
	}
	if c := &m.drawn.body; c.src != body || c.w != m.w || c.h != bodyH {
		c.src, c.w, c.h, c.text = body, m.w, bodyH, block(body, m.w, bodyH)
	}
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteByte('\n')
	b.WriteString(m.drawn.body.text)
	b.WriteByte('\n')
	b.WriteString(m.noticeLine())
	b.WriteByte('\n')
	b.WriteString(footer)
	if m.plain {
		v.SetContent(asciiFrame.Replace(b.String()))
		return v
	}
	v.SetContent(b.String())
	return v
}

// header is the app, where it sends (or DEMO), the page, uploads running
// (u goes to them) and the key. What does not fit gives way: the host
// first, then the words of the upload count.
func (m *Model) header() string {
	running, queued := m.uploads.counts()
	key := fmt.Sprint(m.w, m.page, running, queued, m.apiKey, m.sh.deps.Demo, m.sh.st.G == asciiGlyphs)
	if c := &m.drawn.header; c.key == key {
		return c.text
	}
	st := m.sh.st
	app := st.HeaderApp.Render("fwbatch")
	tab := st.TabActive.Render(pageNames[m.page])
	where := termsafe.Line(hostOf(m.sh.deps.BaseURL))
	if m.sh.deps.Demo {
		where = st.Demo.Render(" DEMO ") + " " + st.Muted.Render("offline fake API")
	}
	keyState := "no key"
	if m.sh.deps.Demo {
		keyState = "no key needed"
	} else if m.apiKey != "" {
		keyState = "key " + maskKey(m.apiKey)
	}
	// The ways to say it, widest first: what does not fit gives way, the
	// host first, then the words of the upload count.
	var ups []string
	if running+queued > 0 {
		long := fmt.Sprintf("%s %d uploading", st.G.Up, running)
		short := fmt.Sprintf("%s %d", st.G.Up, running)
		if queued > 0 {
			long += fmt.Sprintf(", %d queued", queued)
			short += fmt.Sprintf("+%d", queued)
		}
		ups = []string{long + " · u", short + " · u"}
	}
	type way struct {
		host bool
		up   string
	}
	ways := []way{{true, ""}, {false, ""}}
	if len(ups) > 0 {
		ways = []way{{true, ups[0]}, {false, ups[0]}, {false, ups[1]}}
	}
	var line string
	for _, w := range ways {
		left := app + "  "
		if w.host {
			left += where + "  "
		}
		left += tab
		right := st.Muted.Render(keyState)
		if w.up != "" {
			right = st.Pending.Render(w.up) + "  " + right
		}
		if gap := m.w - lineWidth(left) - lineWidth(right); gap >= 1 {
			line = left + strings.Repeat(" ", gap) + right
			break
		}
		line = truncate(left+" "+right, m.w) // the narrowest, cut
	}
	m.drawn.header = cached{key: key, text: line}
	return line
}

// noticeLine is the last notice, on one line. One cut at the terminal's
// width says where to read it whole.
func (m *Model) noticeLine() string {
	key := fmt.Sprint(m.w, m.page == pageLog, m.notice)
	return memo(&m.drawn.notice, key, m.drawNotice)
}

func (m *Model) drawNotice() string {
	st := m.sh.st
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

// maskKey shows at most the last four characters of an API key, made
// safe to show (a key pasted with a stray escape is shown, not run).
func maskKey(k string) string {
	if len(k) <= 8 {
		return "…"
	}
	return "…" + termsafe.Line(k[len(k)-4:])
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
