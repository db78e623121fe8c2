package ui

import (
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// newInput returns a text input with a steady cursor: a blinking cursor is an
// animation, and fwbatch draws nothing while nothing changes (slow SSH links).
func newInput(st Styles, prompt string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	s := textinput.DefaultDarkStyles()
	s.Cursor.Blink = false
	s.Focused.Prompt = st.Title
	s.Blurred.Prompt = st.Muted
	s.Focused.Placeholder = st.Muted
	s.Blurred.Placeholder = st.Muted
	s.Focused.Text = lipgloss.NewStyle()
	s.Blurred.Text = lipgloss.NewStyle()
	ti.SetStyles(s)
	return ti
}

// filterEdit is what a message did to a filter being typed into.
type filterEdit int

const (
	filterKept    filterEdit = iota // enter: the filter stays, the typing ends
	filterCleared                   // esc: the filter is emptied, the typing ends
	filterTyped                     // anything else: its text may have changed
)

// typeInFilter gives msg to a list's filter while it is typed into
// (Files' and History's /).
func typeInFilter(f *textinput.Model, typing *bool, msg tea.Msg) (filterEdit, tea.Cmd) {
	if km, ok := msg.(tea.KeyPressMsg); ok {
		switch km.String() {
		case "enter":
			*typing = false
			f.Blur()
			return filterKept, nil
		case "esc":
			*typing = false
			f.Blur()
			f.SetValue("")
			return filterCleared, nil
		}
	}
	var cmd tea.Cmd
	*f, cmd = f.Update(msg)
	return filterTyped, cmd
}
