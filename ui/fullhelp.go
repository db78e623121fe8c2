package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// helpMinBody is how many lines of the screen the full help leaves: the
// user reads the keys next to what they act on.
const helpMinBody = 4

// fullHelpLines lays the screen's groups of keys out to fit w cells: as
// many groups side by side as fit, the rest stacked below in bands, so
// every key and its whole description is drawn (help.Model's own full
// view drops the columns that do not fit behind a "…"). Hand-written for
// that reason.
func (m *Model) fullHelpLines(groups [][]key.Binding, w int) []string {
	st := m.help.Styles
	sep := st.FullSeparator.Inline(true).Render(m.help.FullSeparator)
	var cols []string // one rendered column per group
	for _, g := range groups {
		var keys, descs []string
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			keys = append(keys, b.Help().Key)
			descs = append(descs, b.Help().Desc)
		}
		if len(keys) == 0 {
			continue
		}
		cols = append(cols, lipgloss.JoinHorizontal(lipgloss.Top,
			st.FullKey.Render(strings.Join(keys, "\n")), " ",
			st.FullDesc.Render(strings.Join(descs, "\n"))))
	}
	var lines, band []string
	bandW := 0
	flush := func() {
		if len(band) > 0 {
			lines = append(lines, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, band...), "\n")...)
		}
		band, bandW = nil, 0
	}
	for _, c := range cols {
		cw := lipgloss.Width(c)
		if len(band) > 0 && bandW+lineWidth(sep)+cw > w {
			flush()
		}
		if len(band) > 0 {
			c = lipgloss.JoinHorizontal(lipgloss.Top, sep, c)
			cw += lineWidth(sep)
		}
		band = append(band, c)
		bandW += cw
	}
	flush()
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return lines
}

// helpRoom is how many lines the full help may take at this height.
func (m *Model) helpRoom() int { return max(m.h-2-helpMinBody, 2) }

// fullHelp is the full help fitted to the room it has: when its lines do
// not fit, a window of them from helpTop and a last line saying where it
// is and how to scroll.
func (m *Model) fullHelp(km help.KeyMap) string {
	lines := m.fullHelpLines(km.FullHelp(), m.w)
	room := m.helpRoom()
	m.helpLines = len(lines)
	if len(lines) <= room {
		m.helpTop = 0
		return strings.Join(lines, "\n")
	}
	shown := room - 1
	m.helpTop = min(max(m.helpTop, 0), len(lines)-shown)
	win := lines[m.helpTop : m.helpTop+shown]
	k := m.sh.keys
	pos := fmt.Sprintf("keys %d-%d of %d lines · %s %s scroll · esc closes", m.helpTop+1, m.helpTop+shown, len(lines), k.Up.Help().Key, k.Down.Help().Key)
	return strings.Join(win, "\n") + "\n" + m.sh.st.Muted.Render(truncate(pos, m.w))
}

// helpScrolls says whether the open full help is longer than its room:
// then the moving keys scroll it.
func (m *Model) helpScrolls() bool {
	return m.help.ShowAll && m.helpLines > m.helpRoom()
}

// scrollHelp moves the full help's window when msg is a moving key,
// reporting whether it was one.
func (m *Model) scrollHelp(msg tea.KeyPressMsg) bool {
	to, ok := m.sh.keys.moved(msg, m.helpTop, max(m.helpRoom()-1, 1), m.helpLines)
	if !ok {
		return false
	}
	m.helpTop = min(max(to, 0), max(m.helpLines-(m.helpRoom()-1), 0))
	return true
}
