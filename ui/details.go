package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// transcriptMsg carries a saved result read from the results folder.
type transcriptMsg struct {
	id, path string
	text     string // rendered for reading
	err      error
}

// detailsScreen shows every field of one submission and its transcript in a
// scrollable view.
type detailsScreen struct {
	sh   *shared
	data *historyData
	id   string
	w, h int

	vp          viewport.Model
	transcript  string // rendered; "" until loaded
	tpath       string // the saved result it was read from
	terr        error
	contentW    int
	contentFrom string // what the viewport holds: the transcript, or the whole body (wholeView)
	wrapped     string // the transcript wrapped to wrappedW cells
	wrappedFrom string // the transcript wrapped
	wrappedW    int

	saveAs     textinput.Model
	saveFormat string // what s and o save: "" as returned, or an output format (details_format.go)
	choosing   bool
	allFields  bool // i: every field, even on a short screen

	state func(id string) rowState
}

func newDetailsScreen(sh *shared, data *historyData) *detailsScreen {
	s := &detailsScreen{sh: sh, data: data}
	s.vp = viewport.New()
	s.vp.SoftWrap = false
	s.saveAs = newInput(sh.st, "save to: ")
	s.state = func(string) rowState { return rowState{} }
	return s
}

// open shows submission id and returns the command that reads its result.
func (s *detailsScreen) open(id string) tea.Cmd {
	if s.id != id {
		s.transcript, s.tpath, s.terr = "", "", nil
		s.vp.GotoTop()
	}
	s.id = id
	s.choosing = false
	return s.loadIfSaved()
}

// loadIfSaved reads the saved result when there is one it has not read yet.
func (s *detailsScreen) loadIfSaved() tea.Cmd {
	sub := s.data.get(s.id)
	if sub == nil || sub.ResultPath == "" || sub.ResultPath == s.tpath {
		return nil
	}
	s.tpath = sub.ResultPath
	return loadTranscript(*sub)
}

func loadTranscript(sub store.Submission) tea.Cmd {
	return func() tea.Msg {
		data, err := os.ReadFile(sub.ResultPath)
		if err != nil {
			return transcriptMsg{id: sub.ID, path: sub.ResultPath, err: fmt.Errorf("saved result %s: %w", sub.ResultPath, err)}
		}
		return transcriptMsg{id: sub.ID, path: sub.ResultPath, text: termsafe.Text(renderTranscript(formatOf(&sub), data))}
	}
}

func formatOf(sub *store.Submission) string {
	if f := sub.Options["response_format"]; f != "" {
		return f
	}
	return "json"
}

// renderTranscript turns a saved result into readable text: subtitles and
// plain text as they are, JSON as its text, verbose JSON as timed segments
// with speakers when diarized. Anything unparsable is shown raw.
func renderTranscript(format string, data []byte) string {
	t, err := submit.ParseTranscript(format, data)
	if err != nil {
		return string(data)
	}
	if len(t.Segments) == 0 {
		return t.Text
	}
	var b strings.Builder
	if t.Language != "" || t.Duration > 0 {
		fmt.Fprintf(&b, "language %s · %s\n\n", orDash(t.Language), clock(t.Duration))
	}
	for _, seg := range t.Segments {
		fmt.Fprintf(&b, "[%s → %s]", clock(seg.Start), clock(seg.End))
		if seg.Speaker != "" {
			fmt.Fprintf(&b, " %s:", seg.Speaker)
		}
		b.WriteString(" " + strings.TrimSpace(seg.Text) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func clock(sec float64) string {
	if sec < 0 {
		sec = 0
	}
	total := int(sec * 10)
	h, m, s, d := total/36000, total/600%60, total/10%60, total%10
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%d", h, m, s, d)
	}
	return fmt.Sprintf("%02d:%02d.%d", m, s, d)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (s *detailsScreen) typing() bool { return s.choosing }

func (s *detailsScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.saveAs.SetWidth(max(w-12, 10))
}

func (s *detailsScreen) keys() help.KeyMap {
	k := s.sh.keys
	saveTo := key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "save to…"))
	fieldsKey := key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "all fields"))
	if s.choosing {
		return bindings{
			short: []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))},
			full:  [][]key.Binding{{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}},
		}
	}
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	sub := s.data.get(s.id)
	format := s.formatKey(sub)
	short := []key.Binding{k.Up, k.Down, k.Save, saveTo, k.Recheck, k.Copy, back, k.Help}
	if sub != nil && sub.ResultPath != "" {
		// A result to save: what f picks is how s saves it. The arrows give
		// way last (the rule says the transcript scrolls; ? lists them).
		// (The Saved field names the format chosen.)
		pick := key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "format"))
		short = []key.Binding{k.Save, pick, saveTo, k.Recheck, k.Copy, back, k.Help, k.Up, k.Down}
	}
	if sub != nil && keyRefused(sub) {
		short = []key.Binding{k.APIKey, k.Resubmit, k.Up, k.Down, back, k.Help}
	}
	return bindings{
		short: short,
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Save, saveTo, format, k.Recheck, k.Copy, k.Resubmit, k.APIKey},
			{fieldsKey, k.LogOpen, k.Uploads},
			{back, k.Help, k.Quit, k.ForceQuit},
		},
	}
}

// defaultSavePath is next to the audio: talk.flac → talk.srt, with the
// extension of the save format.
func defaultSavePath(sub *store.Submission, format string) string {
	base := strings.TrimSuffix(sub.File, filepath.Ext(sub.File))
	return base + saveExt(sub, format)
}

func (s *detailsScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case transcriptMsg:
		if msg.id == s.id {
			s.transcript, s.terr = msg.text, msg.err
			s.contentFrom = ""
		}
		return nil
	case tea.KeyPressMsg:
		return s.handleKey(msg)
	}
	if s.choosing {
		var cmd tea.Cmd
		s.saveAs, cmd = s.saveAs.Update(msg)
		return cmd
	}
	return nil
}

func (s *detailsScreen) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	sub := s.data.get(s.id)
	if sub == nil {
		return nil
	}
	if s.choosing {
		switch msg.String() {
		case "enter":
			s.choosing = false
			s.saveAs.Blur()
			dst := strings.TrimSpace(s.saveAs.Value())
			if dst == "" {
				return nil
			}
			return emit(saveResultMsg{id: s.id, dst: expandHome(dst), format: s.saveFormatOf(sub)})
		case "esc":
			s.choosing = false
			s.saveAs.Blur()
			return nil
		}
		var cmd tea.Cmd
		s.saveAs, cmd = s.saveAs.Update(msg)
		return cmd
	}
	k := s.sh.keys
	switch {
	case msg.String() == "esc":
		return emit(backMsg{})
	case key.Matches(msg, k.Up):
		s.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		s.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		s.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		s.vp.PageDown()
	case key.Matches(msg, k.Top):
		s.vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		s.vp.GotoBottom()
	case key.Matches(msg, k.Save):
		return emit(saveResultMsg{id: s.id, format: s.saveFormatOf(sub)})
	case msg.String() == "f":
		s.nextSaveFormat(sub)
	case msg.String() == "i":
		s.allFields = !s.allFields
		s.vp.GotoTop()
	case msg.String() == "o":
		s.choosing = true
		s.saveAs.SetValue(defaultSavePath(sub, s.saveFormatOf(sub)))
		s.saveAs.CursorEnd()
		return s.saveAs.Focus()
	case key.Matches(msg, k.Recheck):
		return emit(recheckMsg{s.id})
	case key.Matches(msg, k.Copy):
		return emit(copyMsg{s.id})
	case key.Matches(msg, k.Resubmit):
		return emit(resubmitMsg{s.id})
	}
	return nil
}

// backMsg leaves Details for the screen it was opened from.
type backMsg struct{}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// fields are the submission's fields, most useful first: when the screen
// is short, the first ones show and the rest fold away (i shows them).
// Every value is made safe to show (termsafe): paths, the batch id and
// server messages come from outside.
func (s *detailsScreen) fields(sub *store.Submission) [][2]string {
	rs := s.state(sub.ID)
	status, _ := statusOf(s.sh.st.G, sub, rs)
	if rs.problem != "" {
		status += " — " + rs.problem
	}
	f := [][2]string{
		{"File", sub.File},
		{"Status", status},
		{"Batch ID", orDash(sub.BatchID)},
	}
	if sub.Message != "" {
		f = append(f, [2]string{"Message", sub.Message})
	}
	f = append(f,
		[2]string{"Submitted", sub.Started.Local().Format("2006-01-02 15:04:05")},
		[2]string{"Size", humanBytes(sub.Size) + " · " + lengthDetail(sub)},
		[2]string{"Task", sub.Task},
		[2]string{"Endpoint", sub.Endpoint + " (" + sub.Model + ")"},
	)
	if sub.ResultPath != "" {
		saved := sub.ResultPath
		if format := s.saveFormatOf(sub); format != "" {
			saved += " · s saves it as " + format + " (f changes)"
		}
		f = append(f, [2]string{"Saved", saved})
	}
	if sub.ServerStatus != "" {
		f = append(f, [2]string{"Server", sub.ServerStatus + " at " + sub.StatusTime.Local().Format("2006-01-02 15:04:05")})
	}
	if sub.HTTPStatus != 0 {
		f = append(f, [2]string{"HTTP", fmt.Sprint(sub.HTTPStatus)})
	}
	f = append(f, [2]string{"Account", orDash(sub.AccountID)}, [2]string{"Local id", sub.ID})
	if sub.ResubmitOf != "" {
		f = append(f, [2]string{"Resubmit of", sub.ResubmitOf})
	}
	if sub.Host != "" {
		f = append(f, [2]string{"Uploaded by", fmt.Sprintf("%s pid %d", sub.Host, sub.PID)})
	}
	keys := make([]string, 0, len(sub.Options))
	for k := range sub.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var opts []string
	for _, k := range keys {
		opts = append(opts, k+"="+sub.Options[k])
	}
	if len(opts) > 0 {
		f = append(f, [2]string{"Options", strings.Join(opts, " ")})
	}
	for i := range f {
		f[i][1] = termsafe.Line(f[i][1])
	}
	return f
}

// fieldLines draws fields in w cells: a label, and the value wrapped
// under itself, never cut.
func (s *detailsScreen) fieldLines(fields [][2]string, w int) []string {
	const labelW = 12
	var out []string
	for _, f := range fields {
		value := wrap(f[1], max(w-labelW, 8))
		for i, l := range strings.Split(value, "\n") {
			label := strings.Repeat(" ", labelW)
			if i == 0 {
				label = s.sh.st.Label.Render(pad(f[0], labelW))
			}
			out = append(out, label+l)
		}
	}
	return out
}

// minTranscript is how many lines of transcript Details keeps when it
// folds the fields away.
const minTranscript = 5

func (s *detailsScreen) view() string {
	st := s.sh.st
	sub := s.data.get(s.id)
	if sub == nil {
		return st.Muted.Render("This submission is no longer in the history. esc goes back.")
	}
	var b strings.Builder
	b.WriteString(truncate(st.Title.Render("Details · "+displayName(sub.File)), s.w))
	fields := s.fields(sub)
	// Two columns of fields when there is room; values wrap in theirs.
	var lines []string
	if s.w >= 110 {
		half := (len(fields) + 1) / 2
		colW := s.w / 2
		left, right := s.fieldLines(fields[:half], colW-2), s.fieldLines(fields[half:], colW)
		for i := 0; i < max(len(left), len(right)); i++ {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines = append(lines, pad(l, colW)+r)
		}
	} else {
		lines = s.fieldLines(fields, s.w)
	}
	// A short screen keeps lines for the transcript: the fields fold to
	// the most useful, and i shows them all.
	room := max(s.h-2-minTranscript, 2)
	if len(lines) > room {
		if s.allFields && !s.choosing {
			return s.wholeView(sub, lines)
		}
		if !s.allFields {
			hidden := len(lines) - (room - 1)
			lines = append(lines[:room-1], st.Muted.Render(fmt.Sprintf("%s %d more line(s) of fields: i shows them", st.G.Ellipsis, hidden)))
		}
	}
	for _, l := range lines {
		b.WriteString("\n" + truncate(l, s.w))
	}
	vpH := max(s.h-2-len(lines), 1)
	b.WriteByte('\n')
	if s.choosing {
		b.WriteString(truncate(s.saveAs.View(), s.w))
	} else {
		b.WriteString(s.rule(sub, vpH))
	}
	b.WriteByte('\n')
	b.WriteString(s.transcriptView(sub, vpH))
	return b.String()
}

// wholeView scrolls every field, the rule and the transcript as one, for
// when all the fields (i) leave no room for the transcript below them: the
// title line says where the view stands.
func (s *detailsScreen) wholeView(sub *store.Submission, fields []string) string {
	st := s.sh.st
	h := max(s.h-1, 1)
	var body string
	if s.transcript != "" && s.terr == nil {
		body = s.wrappedTranscript()
	} else {
		body = s.transcriptView(sub, h)
	}
	content := strings.Join(fields, "\n") + "\n" + st.Muted.Render(strings.Repeat(st.G.Rule, s.w)) + "\n" + body
	if s.contentFrom != content || s.contentW != s.w {
		s.contentFrom, s.contentW = content, s.w
		s.vp.SetContent(content)
	}
	s.vp.SetWidth(s.w)
	s.vp.SetHeight(h)
	title := st.Title.Render("Details · " + displayName(sub.File))
	if n := s.vp.TotalLineCount(); n > h {
		pos := st.Muted.Render(scrollPos(s.vp.YOffset(), h, n) + fmt.Sprintf(" (%.0f%%)", s.vp.ScrollPercent()*100))
		if gap := s.w - lineWidth(title) - lineWidth(pos); gap >= 2 {
			title += strings.Repeat(" ", gap) + pos
		} else {
			title = truncate(title, max(s.w-lineWidth(pos)-2, 0)) + "  " + pos
		}
	}
	return truncate(title, s.w) + "\n" + s.vp.View()
}

// wrappedTranscript is the transcript wrapped to the width, wrapped again
// only when either changes.
func (s *detailsScreen) wrappedTranscript() string {
	if s.wrappedFrom != s.transcript || s.wrappedW != s.w {
		s.wrappedFrom, s.wrappedW, s.wrapped = s.transcript, s.w, wrap(s.transcript, s.w)
	}
	return s.wrapped
}

// rule separates the fields from the transcript and says where the view
// stands in it.
func (s *detailsScreen) rule(sub *store.Submission, h int) string {
	st := s.sh.st
	label := ""
	if s.transcript != "" {
		s.fitTranscript(h)
		if n := s.vp.TotalLineCount(); n > h {
			label = " " + scrollPos(s.vp.YOffset(), h, n) + fmt.Sprintf(" (%.0f%%) ", s.vp.ScrollPercent()*100)
		}
	}
	head := strings.Repeat(st.G.Rule, 2) + label
	if lineWidth(head) > s.w {
		head = ""
	}
	return st.Muted.Render(head + strings.Repeat(st.G.Rule, max(s.w-lineWidth(head), 0)))
}

// fitTranscript gives the viewport the transcript, wrapped to the width,
// and the height it has.
func (s *detailsScreen) fitTranscript(h int) {
	if s.contentFrom != s.transcript || s.contentW != s.w {
		s.contentFrom, s.contentW = s.transcript, s.w
		s.vp.SetContent(s.wrappedTranscript())
	}
	s.vp.SetWidth(s.w)
	s.vp.SetHeight(h)
}

func (s *detailsScreen) transcriptView(sub *store.Submission, h int) string {
	st := s.sh.st
	switch {
	case s.terr != nil:
		return st.Err.Render(wrap(termsafe.Line(s.terr.Error()), s.w))
	case s.transcript != "":
		s.fitTranscript(h)
		return s.vp.View()
	case sub.ResultPath != "":
		return st.Muted.Render("reading the saved transcript…")
	}
	status, _ := statusOf(st.G, sub, s.state(sub.ID))
	msg := "No transcript yet (" + status + ")."
	switch {
	case submit.NeedsCheck(sub):
		msg += " It is checked in the background; r checks now."
	case submit.Checkable(sub) && submit.RecordedState(sub) == submit.NotFound:
		msg += " The server does not know this job: it may have expired. r asks again; x resubmits this file."
	case keyRefused(sub):
		msg += " The server refused the API key: K enters another one, then x resubmits this file."
	case sub.Outcome == store.OutcomeUnknown || sub.Outcome == store.OutcomeInterrupted || sub.Outcome == store.OutcomeFailed:
		msg += " x resubmits this file."
	}
	return st.Muted.Render(wrap(msg, s.w))
}

func humanBytes(n int64) string { return cost.Bytes(n) }

// lengthDetail is how long a submission's recording plays, as recorded when
// it was sent.
func lengthDetail(sub *store.Submission) string {
	if !sub.Duration.IsKnown() {
		return "length unknown"
	}
	return cost.Length(sub.Duration) + " long"
}
