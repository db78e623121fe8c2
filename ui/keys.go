package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// keyMap lists every binding the UI knows. Each screen assembles the ones it
// honours into a help.KeyMap (see the screens' keys methods), so `?` shows
// exactly what works where.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Help, Quit, ForceQuit key.Binding
	// Choose moves between the choices of a field or a dialog.
	Choose key.Binding

	// Files
	Mark, Open, Parent, TypePath, ToHistory, ShowAll key.Binding
	// Form
	Submit, Back key.Binding
	// Submitting
	Cancel, Continue key.Binding
	// History
	Filter, Details, Recheck, RecheckAll, Copy, Save, Resubmit, Hide, NewFiles, Sort key.Binding
	// Dialogs
	Yes, No key.Binding
	// Anywhere
	LogOpen, LogClose, APIKey, Uploads key.Binding
}

// newKeyMap names the arrow keys with arrows, or words when ascii
// (TERM=dumb).
func newKeyMap(ascii bool) keyMap {
	up, down, left, leftRight := "↑", "↓", "←", "←/→"
	if ascii {
		up, down, left, leftRight = "up", "down", "left", "left/right"
	}
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp(up+"/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp(down+"/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),

		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),

		Mark:      key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		Open:      key.NewBinding(key.WithKeys("enter", "right", "l"), key.WithHelp("enter", "open/continue")),
		Parent:    key.NewBinding(key.WithKeys("backspace", "left", "h"), key.WithHelp(left+"/h", "parent folder")),
		Choose:    key.NewBinding(key.WithKeys("left", "right"), key.WithHelp(leftRight, "choose")),
		TypePath:  key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "type a path")),
		ToHistory: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "history")),
		ShowAll:   key.NewBinding(key.WithKeys("."), key.WithHelp(".", "show all files")),

		Submit: key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "submit")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),

		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel uploads")),
		Continue: key.NewBinding(key.WithKeys("tab", "enter"), key.WithHelp("tab", "history")),

		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Details:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Recheck:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-check")),
		RecheckAll: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-check pending")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy batch id")),
		Save:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save result")),
		Resubmit:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "resubmit")),
		Hide:       key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "hide")),
		NewFiles:   key.NewBinding(key.WithKeys("tab", "n"), key.WithHelp("tab", "pick files")),
		Sort:       key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort: time, file, status")),

		LogOpen:  key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "messages")),
		LogClose: key.NewBinding(key.WithKeys("esc", "L"), key.WithHelp("esc", "back")),
		APIKey:   key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "enter another API key")),
		Uploads:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "uploads")),

		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
	}
}

// bindings is a help.KeyMap made of a short line and full columns.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

func (b bindings) ShortHelp() []key.Binding  { return b.short }
func (b bindings) FullHelp() [][]key.Binding { return b.full }

// moved is where a moving key (up, down, page up/down, top, bottom) takes
// a position in a list or a text of last+1 lines shown page at a time; ok
// is false for any other key. The caller keeps the position in range.
func (k keyMap) moved(msg tea.KeyPressMsg, pos, page, last int) (to int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return pos - 1, true
	case key.Matches(msg, k.Down):
		return pos + 1, true
	case key.Matches(msg, k.PageUp):
		return pos - page, true
	case key.Matches(msg, k.PageDown):
		return pos + page, true
	case key.Matches(msg, k.Top):
		return 0, true
	case key.Matches(msg, k.Bottom):
		return last, true
	}
	return pos, false
}
