package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

func isAudioName(name string) bool { return submit.IsAudioName(name) }

type entryKind int

const (
	entryDir entryKind = iota
	entryAudio
	entryOther   // a regular file that is not audio
	entryBroken  // a symlink to nothing
	entrySpecial // FIFO, socket, device
	entryErr     // could not stat
)

type fileEntry struct {
	name string
	safe string // name as shown: escapes and control characters visible (termsafe)
	path string
	kind entryKind
	size int64
	note string // why it cannot be chosen

	// mtime of a regular file: its length is read again when it changes,
	// and its state (files_state.go) is looked up with it.
	mtime time.Time
}

// dirListedMsg is the result of reading a folder (in a command).
type dirListedMsg struct {
	seq     int
	dir     string
	entries []fileEntry
	err     error
	gone    []string // marked files that are no longer regular files on disk
}

// filesScreen lists a folder: subfolders, then audio files with sizes.
// space marks files (across folders), enter continues with them, and a path
// can be typed instead.
type filesScreen struct {
	sh   *shared
	w, h int

	dir     string
	entries []fileEntry // all entries, sorted
	shown   []int       // indices of entries on the list (audio + dirs, or all)
	showAll bool
	cursor  int
	offset  int
	loading bool
	seq     int
	problem string // the last thing that went wrong, in one line (the root logs it)
	hint    string // what completing a typed path found

	marked map[string]int64 // path → size, across folders
	order  []string         // marking order

	lengths fileLengths // how long the audio files play (files_duration.go)

	path    textinput.Model
	editing bool // typing a path (:)

	filter    textinput.Model
	filtering bool // typing into the filter (/); its value stays applied after

	states fileStates // what the history holds of each audio file (files_state.go)
}

func newFilesScreen(sh *shared, dir string) *filesScreen {
	if dir == "" {
		dir, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	s := &filesScreen{sh: sh, dir: dir, marked: map[string]int64{}}
	s.path = newInput(sh.st, "path: ")
	s.path.Placeholder = "a folder or an audio file (~ and relative paths work)"
	s.filter = newInput(sh.st, "/")
	s.filter.Placeholder = "filter: part of a name"
	return s
}

func (s *filesScreen) init() tea.Cmd { return s.list(s.dir) }

// refresh re-reads the current folder (files may have appeared).
func (s *filesScreen) refresh() tea.Cmd { return s.list(s.dir) }

func (s *filesScreen) list(dir string) tea.Cmd {
	s.seq++
	s.loading = true
	seq := s.seq
	marked := append([]string(nil), s.order...)
	return func() tea.Msg {
		entries, err := readDir(dir)
		// Marks span folders: each listing also looks at the marked files,
		// so that one deleted meanwhile is not sent, or counted, later.
		var gone []string
		for _, p := range marked {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				gone = append(gone, p)
			}
		}
		return dirListedMsg{seq: seq, dir: dir, entries: entries, err: err, gone: gone}
	}
}

// unmark forgets the marks of paths (files submitted, or gone from disk).
func (s *filesScreen) unmark(paths ...string) {
	for _, p := range paths {
		if _, ok := s.marked[p]; !ok {
			continue
		}
		delete(s.marked, p)
		s.order = slices.DeleteFunc(s.order, func(o string) bool { return o == p })
	}
}

// readDir lists dir with what the picker needs to know about each entry.
// Symlinks are followed; broken ones and special files are kept, with a note.
func readDir(dir string) ([]fileEntry, error) {
	des, err := os.ReadDir(dir)
	if err != nil && len(des) == 0 {
		return nil, err
	}
	out := make([]fileEntry, 0, len(des))
	for _, de := range des {
		e := fileEntry{name: de.Name(), safe: termsafe.Line(de.Name()), path: filepath.Join(dir, de.Name())}
		t := de.Type()
		var info fs.FileInfo
		var ierr error
		if t&fs.ModeSymlink != 0 {
			info, ierr = os.Stat(e.path)
			if ierr != nil {
				e.kind, e.note = entryBroken, "broken link: "+linkProblem(ierr)
				out = append(out, e)
				continue
			}
			t = info.Mode().Type()
		}
		switch {
		case t.IsDir():
			e.kind = entryDir
		case t.IsRegular():
			if info == nil {
				info, ierr = de.Info()
			}
			if ierr != nil {
				e.kind, e.note = entryErr, ierr.Error()
				break
			}
			e.size, e.mtime = info.Size(), info.ModTime()
			e.kind = entryOther
			if isAudioName(e.name) {
				e.kind = entryAudio
			}
		default:
			e.kind, e.note = entrySpecial, "not a regular file ("+typeName(t)+")"
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := out[i].kind == entryDir, out[j].kind == entryDir
		if di != dj {
			return di
		}
		return naturalLess(out[i].name, out[j].name)
	})
	return out, err
}

// naturalLess orders names as people number recordings: case aside, and
// runs of digits by their value (rec2 before rec10). Hand-written: a dozen
// lines, where the known natural-sort modules each bring their own rules
// for case and leading zeros. It compares rune by rune, folding case as it
// goes, so that sorting a folder of 10,000 names allocates nothing. Names
// equal that way fall back to byte order, so the order is total.
func naturalLess(a, b string) bool {
	x, y := a, b
	for x != "" && y != "" {
		dx, dy := digitRun(x), digitRun(y)
		if dx > 0 && dy > 0 {
			nx, ny := strings.TrimLeft(x[:dx], "0"), strings.TrimLeft(y[:dy], "0")
			if len(nx) != len(ny) {
				return len(nx) < len(ny)
			}
			if nx != ny {
				return nx < ny
			}
			x, y = x[dx:], y[dy:]
			continue
		}
		rx, nx := utf8.DecodeRuneInString(x)
		ry, ny := utf8.DecodeRuneInString(y)
		if lx, ly := unicode.ToLower(rx), unicode.ToLower(ry); lx != ly {
			return lx < ly
		}
		x, y = x[nx:], y[ny:]
	}
	if x != "" || y != "" {
		return x == ""
	}
	return a < b
}

// digitRun is the length of the ASCII digits s starts with.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func linkProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "its target does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "its target cannot be read (permission denied)"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	}
	return t.String()
}

func (s *filesScreen) typing() bool { return s.editing || s.filtering }

func (s *filesScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.path.SetWidth(max(w-8, 10))
	s.filter.SetWidth(max(w-4, 10))
	s.clamp()
}

func (s *filesScreen) keys() help.KeyMap {
	k := s.sh.keys
	if s.editing {
		enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go"))
		tab := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete"))
		esc := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
		return bindings{short: []key.Binding{enter, tab, esc, k.ForceQuit}, full: [][]key.Binding{{enter, tab, esc}, {k.ForceQuit}}}
	}
	if s.filtering {
		enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply"))
		esc := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))
		return bindings{short: []key.Binding{enter, esc, k.ForceQuit}, full: [][]key.Binding{{enter, esc}, {k.ForceQuit}}}
	}
	markAll := key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "mark/unmark all audio"))
	markNotDone, hideDone := s.stateKeys()
	return bindings{
		short: []key.Binding{k.Mark, k.Open, k.Parent, k.Filter, k.TypePath, k.ToHistory, k.Help, k.Quit},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Mark, markAll, markNotDone, hideDone, k.Open, k.Parent},
			{k.Filter, k.TypePath, k.ShowAll, k.ToHistory},
			{k.LogOpen, k.Uploads, k.APIKey},
			{k.Help, k.Quit, k.ForceQuit},
		},
	}
}

func (s *filesScreen) rebuild() {
	s.shown = s.shown[:0]
	q := strings.ToLower(s.filter.Value())
	for i, e := range s.entries {
		// Audio names are listed even when they cannot be uploaded (a broken
		// link, a FIFO): choosing them explains why, instead of hiding them.
		if !s.showAll && e.kind != entryDir && !isAudioName(e.name) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(e.name), q) {
			continue
		}
		if s.hidden(&e) {
			continue
		}
		s.shown = append(s.shown, i)
	}
	s.clamp()
}

// rebuildKeepingCursor rebuilds the shown list of the same listing, with
// the cursor on the entry it was on, or the nearest one still shown (the
// next, else the one before): a row leaving the list never moves the user
// to an unrelated file.
func (s *filesScreen) rebuildKeepingCursor() {
	at := -1 // index in s.entries of the entry under the cursor
	if s.cursor >= 0 && s.cursor < len(s.shown) {
		at = s.shown[s.cursor]
	}
	s.rebuild()
	if at < 0 {
		return
	}
	// shown is in entry order: the first shown at or after the old entry.
	i, _ := slices.BinarySearch(s.shown, at)
	s.cursor = min(i, len(s.shown)-1)
	s.clamp()
}

func (s *filesScreen) listHeight() int {
	h := s.h - 3
	if s.filtering || s.filter.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (s *filesScreen) clamp() {
	n := len(s.shown)
	s.cursor = min(max(s.cursor, 0), max(n-1, 0))
	lh := s.listHeight()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+lh {
		s.offset = s.cursor - lh + 1
	}
	s.offset = max(min(s.offset, n-lh), 0)
}

func (s *filesScreen) current() *fileEntry {
	if s.cursor < 0 || s.cursor >= len(s.shown) {
		return nil
	}
	return &s.entries[s.shown[s.cursor]]
}

func (s *filesScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dirListedMsg:
		if msg.seq != s.seq {
			return nil // a newer listing was asked for
		}
		s.loading = false
		s.unmark(msg.gone...)
		var note tea.Cmd
		if len(msg.gone) > 0 {
			names := make([]string, len(msg.gone))
			for i, p := range msg.gone {
				names[i] = termsafe.Line(filepath.Base(p))
			}
			note = emit(noticeMsg{notice{text: fmt.Sprintf("unmarked %s: no longer a file on disk", strings.Join(names, ", ")), kind: noticeWarn}})
		}
		if msg.err != nil && msg.entries == nil {
			s.problem = "cannot open " + termsafe.Line(msg.dir) + ": " + describe(msg.err)
			return note
		}
		s.problem = ""
		if msg.err != nil {
			s.problem = "some entries of " + termsafe.Line(msg.dir) + " could not be read: " + describe(msg.err)
		}
		// Keep the cursor where the user was: on the same entry when the
		// folder is read again, on the subfolder when coming up from it.
		keep := s.dir
		if e := s.current(); e != nil && msg.dir == s.dir {
			keep = e.path
		}
		s.dir, s.entries = msg.dir, msg.entries
		s.cursor, s.offset = 0, 0
		s.rebuild()
		for i, idx := range s.shown {
			if s.entries[idx].path == keep {
				s.cursor = i
				s.clamp()
				break
			}
		}
		// Names and sizes are drawn now; the lengths and states fill in as
		// they are worked out.
		return tea.Batch(note, s.measureNext(), s.annotate())
	case filesLengthsMsg:
		return s.gotLengths(msg)
	case fileStatesMsg:
		return s.takeStates(msg)
	case tea.KeyPressMsg:
		switch {
		case s.editing:
			return s.typeKey(msg)
		case s.filtering:
			return s.filterKey(msg)
		}
		return s.key(msg)
	}
	var cmd tea.Cmd
	switch {
	case s.editing:
		s.path, cmd = s.path.Update(msg)
	case s.filtering:
		s.filter, cmd = s.filter.Update(msg)
		s.rebuild()
	}
	return cmd
}

// filterKey types into the name filter: the list narrows as it is typed;
// enter keeps it and goes back to the list, esc clears it.
func (s *filesScreen) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	edit, cmd := typeInFilter(&s.filter, &s.filtering, msg)
	switch edit {
	case filterTyped:
		s.cursor = 0
		s.rebuild()
	case filterCleared:
		s.rebuild()
	}
	return cmd
}

func (s *filesScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.sh.keys
	if to, ok := k.moved(msg, s.cursor, s.listHeight(), len(s.shown)-1); ok {
		s.cursor = to
		s.clamp()
		return nil
	}
	switch {
	case key.Matches(msg, k.Parent):
		parent := filepath.Dir(s.dir)
		if parent != s.dir {
			return s.list(parent)
		}
	case key.Matches(msg, k.ShowAll):
		s.showAll = !s.showAll
		s.rebuildKeepingCursor()
	case key.Matches(msg, k.Filter):
		s.filtering = true
		s.clamp()
		return s.filter.Focus()
	case key.Matches(msg, k.Back) && s.filter.Value() != "":
		s.filter.SetValue("")
		s.rebuildKeepingCursor()
	case key.Matches(msg, k.TypePath):
		s.editing = true
		s.path.SetValue(s.dir + string(filepath.Separator))
		s.path.CursorEnd()
		return s.path.Focus()
	case key.Matches(msg, k.ToHistory):
		return emit(gotoHistoryMsg{})
	case msg.String() == "a":
		s.markAll()
	case msg.String() == "n":
		s.markNotDone()
	case msg.String() == "d":
		s.toggleHideDone()
	case key.Matches(msg, k.Mark):
		if e := s.current(); e != nil {
			s.toggle(e)
			s.cursor++
		}
	case key.Matches(msg, k.Open):
		return s.open()
	}
	s.clamp()
	return nil
}

func (s *filesScreen) toggle(e *fileEntry) {
	if e.kind != entryAudio {
		s.problem = s.why(e)
		return
	}
	s.problem = ""
	if _, ok := s.marked[e.path]; ok {
		delete(s.marked, e.path)
		for i, p := range s.order {
			if p == e.path {
				s.order = append(s.order[:i], s.order[i+1:]...)
				break
			}
		}
		return
	}
	s.marked[e.path] = e.size
	s.order = append(s.order, e.path)
}

// markAll marks every audio file of this folder, or unmarks them all when
// they all are marked already.
func (s *filesScreen) markAll() {
	all := true
	for _, e := range s.entries {
		if _, ok := s.marked[e.path]; e.kind == entryAudio && !ok {
			all = false
		}
	}
	for i := range s.entries {
		e := &s.entries[i]
		if e.kind != entryAudio {
			continue
		}
		if _, ok := s.marked[e.path]; ok == all {
			s.toggle(e)
		}
	}
}

// why explains, in one line, why an entry cannot be uploaded.
func (s *filesScreen) why(e *fileEntry) string {
	switch e.kind {
	case entryDir:
		return e.safe + " is a folder: enter opens it"
	case entryOther:
		return e.safe + " is not an audio file (" + strings.Join(submit.AudioExts, " ") + ")"
	}
	return e.safe + ": " + e.note
}

// open enters a folder, or continues with the marked files (or the
// highlighted one when none is marked).
func (s *filesScreen) open() tea.Cmd {
	e := s.current()
	if e != nil && e.kind == entryDir {
		return s.list(e.path)
	}
	if e != nil && e.kind != entryAudio && e.kind != entryOther {
		// A FIFO, a broken link, an entry that could not be read: say why,
		// rather than carry on with files marked some time before.
		s.problem = s.why(e)
		return nil
	}
	if len(s.order) > 0 {
		return emit(filesChosenMsg{paths: append([]string(nil), s.order...)})
	}
	if e == nil {
		s.problem = "no audio files here: open a folder or type a path (:)"
		return nil
	}
	if e.kind != entryAudio {
		s.problem = s.why(e)
		return nil
	}
	return emit(filesChosenMsg{paths: []string{e.path}})
}

func (s *filesScreen) typeKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		s.editing = false
		s.path.Blur()
		return nil
	case "tab":
		s.complete()
		return nil
	default:
		s.hint = ""
	case "enter":
		p := strings.TrimSpace(s.path.Value())
		if p == "" {
			return nil
		}
		p = expandHome(p)
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.dir, p)
		}
		p = filepath.Clean(p)
		fi, err := os.Stat(p)
		if err != nil {
			s.problem = termsafe.Line(p) + ": " + describe(err)
			return nil
		}
		s.editing = false
		s.path.Blur()
		switch {
		case fi.IsDir():
			return s.list(p)
		case !fi.Mode().IsRegular():
			s.problem = termsafe.Line(p) + ": not a regular file (" + typeName(fi.Mode().Type()) + ")"
			return nil
		}
		// A typed file is taken as asked, audio extension or not: the
		// upload's own checks look at its bytes.
		paths := append([]string(nil), s.order...)
		if _, ok := s.marked[p]; !ok {
			paths = append(paths, p)
		}
		return emit(filesChosenMsg{paths: paths})
	}
	var cmd tea.Cmd
	s.path, cmd = s.path.Update(msg)
	return cmd
}

// complete extends the typed path to the longest common prefix of the
// entries it could name.
func (s *filesScreen) complete() {
	v := expandHome(s.path.Value())
	if !filepath.IsAbs(v) {
		v = filepath.Join(s.dir, v) + map[bool]string{true: "/", false: ""}[strings.HasSuffix(v, "/")]
	}
	dir, prefix := filepath.Split(v)
	des, err := os.ReadDir(dir)
	if err != nil {
		s.problem = "cannot complete: " + describe(err)
		return
	}
	var matches []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), prefix) {
			name := de.Name()
			if de.IsDir() {
				name += "/"
			}
			matches = append(matches, name)
		}
	}
	if len(matches) == 0 {
		s.problem = "nothing here starts with " + termsafe.Line(prefix)
		return
	}
	common := matches[0]
	for _, m := range matches[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	s.problem, s.hint = "", ""
	if len(matches) > 1 {
		s.hint = fmt.Sprintf("%d matches", len(matches))
	}
	s.path.SetValue(dir + common)
	s.path.CursorEnd()
}

// describe turns a file system error into words a user can act on.
func describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied (check the folder's permissions)"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (s *filesScreen) view() string {
	st := s.sh.st
	g := st.G
	var b strings.Builder
	var marked string
	if len(s.order) > 0 {
		marked = st.Marked.Render("  " + s.markedSummary())
	}
	// The end of the folder's path says where one is: a long one gives way
	// from its start.
	dir := termsafe.Line(s.dir)
	if room := s.w - lineWidth("Files ") - lineWidth(marked); lineWidth(dir) > room {
		dir = g.Ellipsis + ansi.TruncateLeft(dir, lineWidth(dir)-room+lineWidth(g.Ellipsis), "")
	}
	b.WriteString(truncate(st.Title.Render("Files")+" "+dir+marked, s.w))
	b.WriteByte('\n')
	switch {
	case s.editing:
		b.WriteString(truncate(s.path.View(), s.w))
	case s.filtering:
		b.WriteString(truncate(s.filter.View(), s.w))
	case s.problem != "":
		b.WriteString(truncate(st.Err.Render(s.problem), s.w))
	case s.loading:
		b.WriteString(st.Muted.Render("reading the folder…"))
	default:
		audio, hiddenN := 0, 0
		for _, e := range s.entries {
			switch {
			case e.kind == entryAudio:
				audio++
			case e.kind != entryDir && !s.showAll:
				hiddenN++
			}
		}
		info := fmt.Sprintf("%d audio file(s)", audio)
		if hiddenN > 0 {
			info += fmt.Sprintf(", %d other file(s) hidden (. shows them)", hiddenN)
		}
		if q := s.filter.Value(); q != "" {
			info = fmt.Sprintf("%d match /%s (esc clears)", len(s.shown), termsafe.Line(q))
		}
		info += s.statesInfo()
		if len(s.shown) > s.listHeight() {
			info += fmt.Sprintf(" · %d/%d", s.cursor+1, len(s.shown))
		}
		b.WriteString(truncate(st.Muted.Render(info), s.w))
	}
	switch {
	case s.problem != "" && s.editing:
		b.WriteString("\n" + truncate(st.Err.Render(s.problem), s.w))
	case s.hint != "" && s.editing:
		b.WriteString("\n" + truncate(st.Muted.Render(s.hint), s.w))
	}
	lh := s.listHeight()
	if len(s.shown) == 0 && !s.loading {
		b.WriteString("\n\n" + st.Muted.Render("  (empty: ← goes to the parent folder, : types a path)"))
	}
	sizeW := 10
	stateW := s.stateWidth()
	nameW := max(s.w-sizeW-lengthW-stateW-7, 8)
	for i := s.offset; i < len(s.shown) && i < s.offset+lh; i++ {
		e := &s.entries[s.shown[i]]
		mark := "  "
		if _, ok := s.marked[e.path]; ok {
			mark = g.Mark + " "
		} else if e.kind == entryAudio {
			mark = g.Unmarked + " "
		}
		name := e.safe
		var size string
		switch e.kind {
		case entryDir:
			name += "/"
		case entryAudio, entryOther:
			size = humanBytes(e.size)
		case entryBroken:
			size = "broken"
		case entrySpecial:
			size = "special"
		case entryErr:
			size = "error"
		}
		cell, state := s.stateCell(e)
		length := padLeft(s.lengthCell(e), lengthW)
		line := mark + pad(name, nameW) + pad(cell, stateW) + " " + length + " " + padLeft(size, sizeW)
		b.WriteByte('\n')
		if i == s.cursor {
			b.WriteString(truncate(st.Selected.Render(g.Cursor+" "+line), s.w))
			continue
		}
		switch e.kind {
		case entryDir:
			line = mark + st.Dir.Render(pad(name, nameW)) + pad("", stateW) + " " + length + " " + padLeft(size, sizeW)
		case entryAudio:
			if _, ok := s.marked[e.path]; ok {
				line = st.Marked.Render(line)
			} else if cell != "" {
				line = mark + pad(name, nameW) + s.stateStyle(state, pad(cell, stateW)) + " " + length + " " + padLeft(size, sizeW)
			}
		default:
			line = st.Muted.Render(line)
		}
		b.WriteString(truncate("  "+line, s.w))
	}
	return b.String()
}
