package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// Messages the History screen sends to the root.
type (
	openDetailsMsg struct{ id string }
	recheckMsg     struct{ id string }
	recheckAllMsg  struct{}
	saveResultMsg  struct{ id, dst, format string }
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

	visible []*histRow // not hidden and matching the filter, in the order shown
	built   int        // data.version visible was built from
	query   string     // the filter's value visible was built from
	q       string     // query as matched: trimmed, lower-case
	all     int        // rows not hidden

	cursor int // index into visible
	offset int // first visible row on screen
	curID  string

	filter    textinput.Model
	filtering bool
	order     sortOrder

	// The column layout, and what it was planned for.
	cols     columns
	colsFor  [3]int // width, data.nameW and the styles' generation
	layoutID int    // bumped with every new layout: rows drawn for another are stale
	drawn    struct{ title, header cached }

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
	short := []key.Binding{k.Details, k.Filter, k.Recheck, k.Save, k.Copy, k.NewFiles, k.Help, k.Quit}
	if sub := s.selected(); sub != nil && keyRefused(sub) {
		// A key refused is not a dead end: another one is a key away.
		short = []key.Binding{k.APIKey, k.Resubmit, k.Details, k.Filter, k.NewFiles, k.Help, k.Quit}
	}
	return bindings{
		short: short,
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Details, k.Filter, k.Sort, k.Recheck, k.RecheckAll, k.Copy},
			{k.Save, k.Resubmit, k.Hide, k.NewFiles, k.APIKey},
			{k.LogOpen, k.Uploads, k.Help, k.Quit, k.ForceQuit},
		},
	}
}

// rebuild recomputes the visible rows when the data or the filter changed,
// keeping the cursor on the same submission.
func (s *historyScreen) rebuild() {
	if s.built == s.data.version && s.query == s.filter.Value() {
		return
	}
	// (A narrowed list keeps its order: only a full build sorts.)
	q := strings.ToLower(strings.TrimSpace(s.filter.Value()))
	// A query that contains the last one (a letter typed) can only narrow
	// what matched: search those rows, not the whole history again.
	narrow := s.built == s.data.version && strings.Contains(q, s.q)
	s.built, s.query, s.q = s.data.version, s.filter.Value(), q
	vis := s.visible[:0]
	switch {
	case narrow && q == "":
		vis = s.visible
	case narrow:
		for _, r := range s.visible {
			if strings.Contains(r.haystack(), q) {
				vis = append(vis, r)
			}
		}
	default:
		rows := s.ordered()
		if cap(vis) < len(rows) {
			vis = make([]*histRow, 0, len(rows))
		}
		s.all = 0
		for _, r := range rows {
			if r.sub.Hidden {
				continue
			}
			s.all++
			if q != "" && !strings.Contains(r.haystack(), q) {
				continue
			}
			vis = append(vis, r)
		}
	}
	s.visible = vis
	s.cursor = 0
	if s.curID != "" {
		for i, r := range vis {
			if r.sub.ID == s.curID {
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

// reveal clears a filter that hides the row id (or that it cannot tell
// about yet: a row not read yet), returning the filter cleared, "" if
// none was. The new jobs of a submission are what the user comes to see.
func (s *historyScreen) reveal(id string) string {
	q := s.filter.Value()
	if q == "" {
		return ""
	}
	s.rebuild()
	for _, r := range s.visible {
		if r.sub.ID == id {
			return ""
		}
	}
	s.filtering = false
	s.filter.Blur()
	s.filter.SetValue("")
	s.rebuild()
	return q
}

func (s *historyScreen) selected() *store.Submission {
	s.rebuild()
	if s.cursor < 0 || s.cursor >= len(s.visible) {
		return nil
	}
	return &s.visible[s.cursor].sub
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
		s.curID = s.visible[s.cursor].sub.ID
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
		edit, cmd := typeInFilter(&s.filter, &s.filtering, msg)
		if edit != filterKept {
			s.rebuild()
		}
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
	case key.Matches(km, k.Sort):
		s.order = (s.order + 1) % sortOrders
		s.built = -1
		s.rebuild()
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

// keyRefused reports whether sub failed because the server refused the
// API key.
func keyRefused(sub *store.Submission) bool {
	return sub.HTTPStatus == 401 && sub.Outcome == store.OutcomeFailed
}

// sortOrder is how History orders its rows; S goes to the next.
type sortOrder int

const (
	byTime   sortOrder = iota // newest first
	byFile                    // file name, then newest first
	byStatus                  // what needs a look first: failed, unknown, interrupted, pending, done
	sortOrders
)

var sortNames = [...]string{byTime: "newest first", byFile: "by file", byStatus: "by status"}

// ordered is every row in s.order, without sorting per key press: the
// file order is kept by historyData as rows come, and the status order is
// the time order dealt into its few ranks, in one pass.
func (s *historyScreen) ordered() []*histRow {
	switch s.order {
	case byFile:
		return s.data.byFile
	case byStatus:
		var ranks [statusRanks][]*histRow
		for _, r := range s.data.rows {
			k := statusRank(&r.sub)
			ranks[k] = append(ranks[k], r)
		}
		out := make([]*histRow, 0, len(s.data.rows))
		for _, rs := range ranks {
			out = append(out, rs...)
		}
		return out
	}
	return s.data.rows
}

// statusRanks is how many values statusRank takes.
const statusRanks = 5

// statusRank puts what needs the user's attention first.
func statusRank(s *store.Submission) int {
	switch s.Outcome {
	case store.OutcomeFailed:
		return 0
	case store.OutcomeUnknown:
		return 1
	case store.OutcomeInterrupted, store.OutcomeUploading:
		return 2
	}
	switch submit.Classify(s.ServerStatus) {
	case submit.Failed:
		return 0
	case submit.Completed:
		if s.ResultPath == "" {
			return 1
		}
		return 4
	}
	return 3
}

// column is one column of the table. Columns give way by importance: each
// starts at its least width; columns that do not fit at all are dropped,
// least important first; the room left goes to the file name first (up to
// the widest name), then the batch id, then the others, to the width
// they read best at.
type column struct {
	title, short string // header; short when narrower than the title
	min, want    int    // least width, and the width it reads best at
	drop         int    // 0: never dropped; otherwise the lower, the sooner
	w            int    // planned width; 0: dropped
}

const (
	colWhen = iota
	colFile
	colLength
	colTask
	colEndpoint
	colFormat
	colBatch
	colStatus
	nCols
)

// growth is who gets the room beyond the least widths, in turn, and up to
// what width (0: the column's want).
var growth = []struct{ col, upTo int }{
	{colFile, 0}, {colLength, 0}, {colBatch, 0}, {colStatus, 14}, {colFormat, 0}, {colEndpoint, 0}, {colTask, 0}, {colStatus, 0},
}

type columns [nCols]column

func layoutColumns(w, nameW int) columns {
	c := columns{
		colWhen:     {title: "Submitted", min: 11, want: 11},
		colFile:     {title: "File", min: 12, want: max(nameW, 12)},
		colLength:   {title: "Length", min: 11, want: 11, drop: 3}, // "59 min 59 s"
		colTask:     {title: "Task", min: 10, want: 10, drop: 1},
		colEndpoint: {title: "Endpoint", short: "Endpt", min: 5, want: 11, drop: 2},
		colFormat:   {title: "Format", min: 7, want: 12, drop: 4},
		colBatch:    {title: "Batch ID", min: 8, want: 36},
		colStatus:   {title: "Status", min: 13, want: 22},
	}
	room := w - 2 // the cursor column
	used := func() int {
		n, cols := 0, 0
		for _, col := range c {
			if col.w > 0 {
				n += col.w
				cols++
			}
		}
		return n + max(cols-1, 0)
	}
	for i := range c {
		c[i].w = c[i].min
	}
	for used() > room {
		drop := -1
		for i, col := range c {
			if col.w > 0 && col.drop > 0 && (drop < 0 || col.drop < c[drop].drop) {
				drop = i
			}
		}
		if drop < 0 {
			break // the least there is; cells are cut
		}
		c[drop].w = 0
	}
	for _, g := range growth {
		col := &c[g.col]
		upTo := col.want
		if g.upTo > 0 {
			upTo = g.upTo
		}
		if col.w > 0 {
			col.w += max(min(upTo-col.w, room-used()), 0)
		}
	}
	return c
}

func (c *columns) header() string {
	var cells []string
	for _, col := range c {
		if col.w == 0 {
			continue
		}
		t := col.title
		if lineWidth(t) > col.w && col.short != "" {
			t = col.short
		}
		cells = append(cells, pad(t, col.w))
	}
	return "  " + strings.Join(cells, " ")
}

func shortEndpoint(e string) string { return strings.TrimPrefix(e, "audio-") }

func shortFormat(f string) string {
	if f == "verbose_json" {
		return "verbose"
	}
	return f
}

func (s *historyScreen) layout() *columns {
	if s.colsFor != [3]int{s.w, s.data.nameW, s.sh.styleGen} {
		s.cols = layoutColumns(s.w, s.data.nameW)
		s.colsFor = [3]int{s.w, s.data.nameW, s.sh.styleGen}
		s.layoutID++
	}
	return &s.cols
}

func (s *historyScreen) view() string {
	s.rebuild()
	st := s.sh.st
	var b strings.Builder
	count := len(s.visible)
	c := s.layout()
	titleKey := fmt.Sprint(s.data.loaded, s.filter.Value() != "", count, s.total(), s.order, s.cursor, s.data.report.Clean(), s.layoutID)
	b.WriteString(memo(&s.drawn.title, titleKey, func() string {
		title := st.Title.Render("History")
		switch {
		case !s.data.loaded:
			title += st.Muted.Render("  loading…")
		case s.filter.Value() != "":
			title += st.Muted.Render(fmt.Sprintf("  %d of %d match", count, s.total()))
		default:
			title += st.Muted.Render("  " + plural(count, "submission"))
		}
		if count > 0 {
			title += st.Muted.Render(fmt.Sprintf(" · %s · %d/%d", sortNames[s.order], s.cursor+1, count))
		}
		if !s.data.report.Clean() {
			title += "  " + st.Warn.Render(st.G.Bang+" history file needs a look (L shows it)")
		}
		return truncate(title, s.w)
	}))
	b.WriteByte('\n')
	if s.filtering || s.filter.Value() != "" {
		b.WriteString(truncate(s.filter.View(), s.w))
		b.WriteByte('\n')
	}
	b.WriteString(memo(&s.drawn.header, fmt.Sprint(s.layoutID), func() string {
		return st.ColHeader.Render(truncate(c.header(), s.w))
	}))
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
		b.WriteString(s.renderRow(s.visible[i], c, i == s.cursor))
	}
	return b.String()
}

// memo returns c's text when it was drawn for key, or draws it.
func memo(c *cached, key string, draw func() string) string {
	if c.key != key || c.text == "" {
		c.key, c.text = key, draw()
	}
	return c.text
}

// total is the number of submissions not hidden, counted by rebuild.
func (s *historyScreen) total() int { return s.all }

// renderRow draws one row, or returns it as drawn before when nothing it
// shows has changed: an idle History redraws without measuring a cell.
func (s *historyScreen) renderRow(r *histRow, c *columns, selected bool) string {
	st := s.sh.st
	sub := &r.sub
	status, kind := statusOf(st.G, sub, s.state(sub.ID))
	drawn := rowDrawn{gen: r.gen, layout: s.layoutID, selected: selected, status: status}
	if r.drawn == drawn && r.line != "" {
		return r.line
	}
	endpoint, format := sub.Endpoint, sub.Options["response_format"]
	if format == "" {
		format = "json"
	}
	if c[colEndpoint].w < lineWidth(endpoint) {
		endpoint = shortEndpoint(endpoint)
	}
	if c[colFormat].w < lineWidth(format) {
		format = shortFormat(format)
	}
	batch := termsafe.Line(sub.BatchID)
	if batch == "" {
		batch = "-"
	}
	text := [nCols]string{
		colWhen:     sub.Started.Local().Format("01-02 15:04"),
		colFile:     r.name,
		colLength:   cost.Length(sub.Duration),
		colTask:     termsafe.Line(sub.Task),
		colEndpoint: termsafe.Line(endpoint),
		colFormat:   termsafe.Line(format),
		colBatch:    batch,
		colStatus:   status,
	}
	var cells []string
	statusCell := -1
	for i, col := range c {
		if col.w == 0 {
			continue
		}
		if i == colStatus {
			statusCell = len(cells)
		}
		cells = append(cells, pad(text[i], col.w))
	}
	var line string
	if selected {
		line = truncate(st.Selected.Render(st.G.Cursor+" "+strings.Join(cells, " ")), s.w)
	} else {
		if statusCell >= 0 {
			cells[statusCell] = st.kind(kind)(cells[statusCell])
		}
		line = truncate("  "+strings.Join(cells, " "), s.w)
	}
	r.line, r.drawn = line, drawn
	return line
}

// plural is "1 submission", "2 submissions".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
