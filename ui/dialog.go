package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/fwbatch/fwbatch/internal/termsafe"
)

// dialog is a yes/no question in a box over the screen, like huh's confirm:
// it names what it is about, wraps its text to the box, shows its own keys,
// and takes every key until it is answered. The screen under it stays in
// view, so the user sees the row the question is about.
type dialog struct {
	title string // "Resubmit talk.flac?"
	text  string // why it asks, what each answer does
	yes   string // the button that does it: "Resubmit"
	no    string // the one that does not: "Keep"
	// safe puts the focus on no: enter alone must not do what cannot be
	// undone (a duplicate job, interrupted uploads, an overwritten file).
	safe  bool
	onYes func(m *Model) tea.Cmd
	// ctrlC is what a ctrl+c does while the dialog is open; nil: the same
	// as no, and then the quit that ctrl+c asks for.
	ctrlC func(m *Model) tea.Cmd

	focusYes bool
}

// ask opens d. Names and paths in its title and text must be made safe by
// the caller (termsafe), as everything on screen.
func (m *Model) ask(d *dialog) {
	d.focusYes = !d.safe
	m.dialog = d
}

// dialogKeys are the keys a dialog honours; the footer shows them.
func (m *Model) dialogKeys() help.KeyMap {
	k := m.sh.keys
	choose := k.Choose
	enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "answer"))
	yes := key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", strings.ToLower(m.dialog.yes)))
	no := key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", strings.ToLower(m.dialog.no)))
	return bindings{short: []key.Binding{yes, no, choose, enter}, full: [][]key.Binding{{yes, no}, {choose, enter}, {k.ForceQuit}}}
}

// dialogKey answers the dialog, or moves its focus; every key stops here.
func (m *Model) dialogKey(msg tea.KeyPressMsg) tea.Cmd {
	d := m.dialog
	k := m.sh.keys
	answer := func(yes bool) tea.Cmd {
		m.dialog = nil
		if yes {
			return d.onYes(m)
		}
		return nil
	}
	switch msg.String() {
	case "y", "Y":
		return answer(true)
	case "n", "N", "esc":
		return answer(false)
	case "left", "right", "tab", "shift+tab", "h", "l":
		d.focusYes = !d.focusYes
		return nil
	case "enter", "space":
		return answer(d.focusYes)
	}
	if key.Matches(msg, k.ForceQuit) {
		if d.ctrlC != nil {
			m.dialog = nil
			return d.ctrlC(m)
		}
		m.dialog = nil
		return m.quit()
	}
	return nil
}

// dialogBox draws the dialog for a screen w cells wide and h lines high.
func (m *Model) dialogBox(w, h int) string {
	d := m.dialog
	st := m.sh.st
	box := st.Dialog
	outer := min(w-2, 70)
	inner := max(outer-box.GetHorizontalFrameSize(), 10)
	button := func(label string, focused bool) string {
		if focused {
			return st.ButtonFocused.Render(st.G.Mark + " " + label)
		}
		return st.Button.Render(st.G.Unmarked + " " + label)
	}
	buttons := button(d.yes, d.focusYes) + "  " + button(d.no, !d.focusYes)
	title := st.Title.Render(wrap(d.title, inner))
	text := wrap(d.text, inner)
	// What is left for the text when the screen is short: the title, a
	// blank line, the buttons and the frame always show.
	room := h - box.GetVerticalFrameSize() - lineCount(title) - 3
	if lines := strings.Split(text, "\n"); len(lines) > room {
		lines = lines[:max(room, 0)]
		if len(lines) > 0 {
			lines[len(lines)-1] = truncate(lines[len(lines)-1], inner-1) + st.G.Ellipsis
		}
		text = strings.Join(lines, "\n")
	}
	content := title + "\n"
	if text != "" {
		content += "\n" + text + "\n"
	}
	content += "\n" + truncate(buttons, inner)
	return box.Width(inner + box.GetHorizontalFrameSize()).Render(content)
}

// overlay draws box centred over base, a w×h block.
func overlay(base, box string, w, h int) string {
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	x, y := max((w-bw)/2, 0), max((h-bh)/2, 0)
	c := lipgloss.NewCanvas(w, h)
	c.Compose(lipgloss.NewCompositor(lipgloss.NewLayer(base), lipgloss.NewLayer(box).X(x).Y(y).Z(1)))
	return c.Render()
}

// safeName is a file or path as dialogs and notices name it.
func safeName(s string) string { return termsafe.Line(s) }
