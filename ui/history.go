package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/store"
)

// Messages the History screen sends to the root.
type (
	openDetailsMsg struct{ id string }
	recheckMsg     struct{ id string }
	recheckAllMsg  struct{}
	saveResultMsg  struct{ id, dst string }
	resubmitMsg    struct{ id string }
	hideMsg        struct{ id string }
	gotoFilesMsg   struct{}
	copyMsg        struct{ id string }
)

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// historyScreen is the table of submissions, newest first. It draws only the
// rows on screen, so its cost does not grow with the history.
type historyScreen struct {
	sh   *shared
	data *historyData
	w, h int

	visible []int  // indices into data.rows: not hidden and matching the filter
	built   int    // data.version visible was built from
	query   string // the filter's value visible was built from
	q       string // query as matched: trimmed, lower-case
	all     int    // rows not hidden

	cursor int // index into visible
	offset int // first visible row on screen
	curID  string

	filter    textinput.Model
	filtering bool

	// state tells what the history file alone does not: uploads running
	// here or elsewhere, checks that could not be recorded.
	state func(id string) rowState
}

func newHistoryScreen(sh *shared, data *historyData) *historyScreen {
	s := &historyScreen{sh: sh, data: data, built: -1}
	s.filter = newInput(sh.st, "/")
	s.filter.Placeholder = "filter: file, batch id, status…"
	s.state = func(string) rowState { return rowState{} }
	return s
}

func (s *historyScreen) typing() bool { return s.filtering }

func (s *historyScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.filter.SetWidth(w - 4)
	s.clamp()
}

func (s *historyScreen) keys() help.KeyMap {
	k := s.sh.keys
	if s.filtering {
		return bindings{
			short: []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")), k.ForceQuit},
			full:  [][]key.Binding{{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))}, {k.ForceQuit}},
		}
	}
	return bindings{
		short: []key.Binding{k.Details, k.Filter, k.Recheck, k.Save, k.Copy, k.NewFiles, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Details, k.Filter, k.Recheck, k.RecheckAll, k.Copy},
			{k.Save, k.Resubmit, k.Hide, k.NewFiles},
			{k.Help, k.Quit, k.ForceQuit},
		},
	}
}

// rebuild recomputes the visible rows when the data or the filter changed,
// keeping the cursor on the same submission.
func (s *historyScreen) rebuild() {
	if s.built == s.data.version && s.query == s.filter.Value() {
		return
	}
	q := strings.ToLower(strings.TrimSpace(s.filter.Value()))
	// A query that contains the last one (a letter typed) can only narrow
	// what matched: search those rows, not the whole history again.
	narrow := s.built == s.data.version && strings.Contains(q, s.q)
	s.built, s.query, s.q = s.data.version, s.filter.Value(), q
	rows := s.data.rows
	vis := s.visible[:0]
	switch {
	case narrow && q == "":
		vis = s.visible
	case narrow:
		for _, i := range s.visible {
			if strings.Contains(rows[i].haystack(), q) {
				vis = append(vis, i)
			}
		}
	default:
		if cap(vis) < len(rows) {
			vis = make([]int, 0, len(rows))
		}
		s.all = 0
		for i, r := range rows {
			if r.sub.Hidden {
				continue
			}
			s.all++
			if q != "" && !strings.Contains(r.haystack(), q) {
				continue
			}
			vis = append(vis, i)
		}
	}
	s.visible = vis
	s.cursor = 0
	if s.curID != "" {
		for i, idx := range vis {
			if rows[idx].sub.ID == s.curID {
				s.cursor = i
				break
			}
		}
	}
	s.clamp()
}

// selectID puts the cursor on id (e.g. a submission just made).
func (s *historyScreen) selectID(id string) {
	s.curID = id
	s.built = -1
	s.rebuild()
}

func (s *historyScreen) selected() *store.Submission {
	s.rebuild()
	if s.cursor < 0 || s.cursor >= len(s.visible) {
		return nil
	}
	return &s.data.rows[s.visible[s.cursor]].sub
}

func (s *historyScreen) tableHeight() int {
	h := s.h - 2 // title line and column header
	if s.filtering || s.filter.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (s *historyScreen) clamp() {
	n := len(s.visible)
	if s.cursor >= n {
		s.cursor = n - 1
	}
	if s.cursor < 0 {
		s.cursor = 0
	}
	th := s.tableHeight()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+th {
		s.offset = s.cursor - th + 1
	}
	if s.offset > max(n-th, 0) {
		s.offset = max(n-th, 0)
	}
	if s.offset < 0 {
		s.offset = 0
	}
	if n > 0 {
		s.curID = s.data.rows[s.visible[s.cursor]].sub.ID
	}
}

func (s *historyScreen) move(d int) {
	s.rebuild()
	s.cursor += d
	s.clamp()
}

func (s *historyScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyPressMsg)
	if s.filtering {
		if ok {
			switch km.String() {
			case "enter":
				s.filtering = false
				s.filter.Blur()
				return nil
			case "esc":
				s.filtering = false
				s.filter.Blur()
				s.filter.SetValue("")
				s.rebuild()
				return nil
			}
		}
		var cmd tea.Cmd
		s.filter, cmd = s.filter.Update(msg)
		s.rebuild()
		return cmd
	}
	if !ok {
		return nil
	}
	k := s.sh.keys
	switch {
	case key.Matches(km, k.Up):
		s.move(-1)
	case key.Matches(km, k.Down):
		s.move(1)
	case key.Matches(km, k.PageUp):
		s.move(-s.tableHeight())
	case key.Matches(km, k.PageDown):
		s.move(s.tableHeight())
	case key.Matches(km, k.Top):
		s.move(-len(s.visible))
	case key.Matches(km, k.Bottom):
		s.move(len(s.visible))
	case key.Matches(km, k.Filter):
		s.filtering = true
		s.clamp()
		return s.filter.Focus()
	case key.Matches(km, k.Back):
		if s.filter.Value() != "" {
			s.filter.SetValue("")
			s.rebuild()
		}
	case key.Matches(km, k.NewFiles):
		return emit(gotoFilesMsg{})
	case key.Matches(km, k.RecheckAll):
		return emit(recheckAllMsg{})
	}
	sub := s.selected()
	if sub == nil {
		return nil
	}
	id := sub.ID
	switch {
	case key.Matches(km, k.Details):
		return emit(openDetailsMsg{id})
	case key.Matches(km, k.Recheck):
		return emit(recheckMsg{id})
	case key.Matches(km, k.Copy):
		return emit(copyMsg{id})
	case key.Matches(km, k.Save):
		return emit(saveResultMsg{id: id})
	case key.Matches(km, k.Resubmit):
		return emit(resubmitMsg{id})
	case key.Matches(km, k.Hide):
		return emit(hideMsg{id})
	}
	return nil
}

// columns lays out the table for width w. File and batch id share what the
// fixed columns leave; narrow terminals get short endpoint/format names.
type columns struct {
	when, file, task, endpoint, format, batch, status int
	short                                             bool
}

func layoutColumns(w int) columns {
	c := columns{when: 11, task: 10, endpoint: 11, format: 12, status: 14}
	if w < 110 {
		c.short = true
		c.endpoint, c.format, c.status = 5, 7, 13
	}
	fixed := 2 + c.when + c.task + c.endpoint + c.format + c.status + 6 // marker + separators
	flex := max(w-fixed, 8)
	// The batch id is what users copy and compare: it gets up to its full
	// 36 characters before the file name grows past a third of the room.
	c.batch = min(36, flex*3/5)
	c.file = flex - c.batch
	return c
}

func shortEndpoint(e string) string { return strings.TrimPrefix(e, "audio-") }

func shortFormat(f string) string {
	if f == "verbose_json" {
		return "verbose"
	}
	return f
}

func (s *historyScreen) view() string {
	s.rebuild()
	st := s.sh.st
	var b strings.Builder
	title := st.Title.Render("History")
	count := len(s.visible)
	switch {
	case !s.data.loaded:
		title += st.Muted.Render("  loading…")
	case s.filter.Value() != "":
		title += st.Muted.Render(fmt.Sprintf("  %d of %d match", count, s.total()))
	default:
		title += st.Muted.Render("  " + plural(count, "submission"))
	}
	if rep := s.data.report; !rep.Clean() {
		title += "  " + st.Warn.Render(st.G.Bang+" history file needs a look (see the notice)")
	}
	b.WriteString(truncate(title, s.w))
	b.WriteByte('\n')
	if s.filtering || s.filter.Value() != "" {
		b.WriteString(truncate(s.filter.View(), s.w))
		b.WriteByte('\n')
	}
	c := layoutColumns(s.w)
	hdr := "  " + strings.Join([]string{
		pad("Submitted", c.when), pad("File", c.file), pad("Task", c.task), pad(map[bool]string{true: "Endpt", false: "Endpoint"}[c.short], c.endpoint),
		pad("Format", c.format), pad("Batch ID", c.batch), pad("Status", c.status),
	}, " ")
	b.WriteString(st.ColHeader.Render(truncate(hdr, s.w)))
	th := s.tableHeight()
	if s.data.loaded && count == 0 {
		b.WriteByte('\n')
		if s.filter.Value() != "" {
			b.WriteString(st.Muted.Render("  nothing matches the filter (esc clears it)"))
		} else {
			b.WriteString(st.Muted.Render("  no submissions yet: press tab to pick audio files"))
		}
	}
	for i := s.offset; i < count && i < s.offset+th; i++ {
		b.WriteByte('\n')
		b.WriteString(s.renderRow(&s.data.rows[s.visible[i]].sub, c, i == s.cursor))
	}
	return b.String()
}

// total is the number of submissions not hidden, counted by rebuild.
func (s *historyScreen) total() int { return s.all }

func (s *historyScreen) renderRow(sub *store.Submission, c columns, selected bool) string {
	st := s.sh.st
	status, kind := statusOf(st.G, sub, s.state(sub.ID))
	endpoint, format := sub.Endpoint, sub.Options["response_format"]
	if format == "" {
		format = "json"
	}
	if c.short {
		endpoint, format = shortEndpoint(endpoint), shortFormat(format)
	}
	batch := sub.BatchID
	if batch == "" {
		batch = "-"
	}
	cells := []string{
		pad(sub.Started.Local().Format("01-02 15:04"), c.when),
		pad(filepath.Base(sub.File), c.file),
		pad(sub.Task, c.task),
		pad(endpoint, c.endpoint),
		pad(format, c.format),
		pad(batch, c.batch),
		pad(status, c.status),
	}
	line := strings.Join(cells, " ")
	if selected {
		return truncate(st.Selected.Render(st.G.Cursor+" "+line), s.w)
	}
	cells[6] = st.kind(kind)(cells[6])
	return truncate("  "+strings.Join(cells, " "), s.w)
}

// plural is "1 submission", "2 submissions".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
