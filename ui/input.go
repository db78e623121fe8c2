package ui

import (
	"charm.land/bubbles/v2/textinput"
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
