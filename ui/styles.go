package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles holds every style the UI draws with. It is built once from the
// terminal's background (isDark) and passed down; screens never make their
// own colours. Nothing relies on colour alone: selection is also reverse
// video plus a "›" marker, and states carry a glyph and a word.
type Styles struct {
	App       lipgloss.Style
	Header    lipgloss.Style
	HeaderApp lipgloss.Style
	Demo      lipgloss.Style
	Tab       lipgloss.Style
	TabActive lipgloss.Style
	Footer    lipgloss.Style

	Title    lipgloss.Style
	Muted    lipgloss.Style
	Selected lipgloss.Style // the highlighted row
	Marked   lipgloss.Style // a file marked with space
	Dir      lipgloss.Style

	OK      lipgloss.Style
	Pending lipgloss.Style
	Warn    lipgloss.Style
	Err     lipgloss.Style

	ColHeader lipgloss.Style
	Label     lipgloss.Style
	Box       lipgloss.Style

	Dialog        lipgloss.Style // the box of a question
	Button        lipgloss.Style
	ButtonFocused lipgloss.Style

	Help help.Styles

	G Glyphs
}

// Glyphs mark states and selection so that nothing depends on colour.
type Glyphs struct {
	Check, Cross, Dots, Up, Bang, Question, Gone, Info string
	Cursor, Mark, Unmarked                             string
	BarFull, BarEmpty                                  string
	Rule, HelpSep, Ellipsis                            string
}

var unicodeGlyphs = Glyphs{
	Check: "✓", Cross: "✗", Dots: "◌", Up: "↑", Bang: "!", Question: "?", Gone: "∅", Info: "•",
	Cursor: "›", Mark: "●", Unmarked: "○",
	BarFull: "█", BarEmpty: "░",
	Rule: "─", HelpSep: " • ", Ellipsis: "…",
}

// asciiGlyphs are for TERM=dumb, where box and symbol characters may not draw.
var asciiGlyphs = Glyphs{
	Check: "+", Cross: "x", Dots: "~", Up: "^", Bang: "!", Question: "?", Gone: "-", Info: "*",
	Cursor: ">", Mark: "*", Unmarked: "-",
	BarFull: "#", BarEmpty: "-",
	Rule: "-", HelpSep: " | ", Ellipsis: "...",
}

// asciiFrame turns what is left of Unicode chrome in a frame into ASCII
// under TERM=dumb, one cell for one cell so that no line changes width:
// huh's field bar and select arrows, bubbles' ellipsis, our separators and
// box corners. Glyphs and key names are ASCII there already; this catches
// what the libraries draw. (An ellipsis becomes "~": "..." would not fit.)
var asciiFrame = strings.NewReplacer(
	"…", "~", "·", "-", "•", "*", "←", "<", "→", ">", "↑", "^", "↓", "v",
	"┃", "|", "│", "|", "─", "-", "━", "-", "╭", "+", "╮", "+", "╰", "+", "╯", "+",
	"┌", "+", "┐", "+", "└", "+", "┘", "+", "›", ">", "–", "-", "—", "-", "×", "x",
	"✓", "+", "✗", "x", "◌", "~", "●", "*", "○", "-", "█", "#", "░", "-", "≈", "~",
)

// NewStyles returns the styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	ld := lipgloss.LightDark(isDark)
	accent := ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#A48DFF"))
	muted := ld(lipgloss.Color("#6C6C6C"), lipgloss.Color("#8A8A8A"))
	green := ld(lipgloss.Color("#1B7F3B"), lipgloss.Color("#5FD787"))
	yellow := ld(lipgloss.Color("#8A6D00"), lipgloss.Color("#E5C07B"))
	red := ld(lipgloss.Color("#B00020"), lipgloss.Color("#FF6B6B"))
	blue := ld(lipgloss.Color("#0B5CAD"), lipgloss.Color("#61AFEF"))

	s := Styles{
		App:       lipgloss.NewStyle(),
		Header:    lipgloss.NewStyle(),
		HeaderApp: lipgloss.NewStyle().Bold(true).Foreground(accent),
		Demo:      lipgloss.NewStyle().Bold(true).Reverse(true),
		Tab:       lipgloss.NewStyle().Foreground(muted),
		TabActive: lipgloss.NewStyle().Bold(true).Underline(true),
		Footer:    lipgloss.NewStyle().Foreground(muted),

		Title:    lipgloss.NewStyle().Bold(true),
		Muted:    lipgloss.NewStyle().Foreground(muted),
		Selected: lipgloss.NewStyle().Reverse(true),
		Marked:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Dir:      lipgloss.NewStyle().Bold(true).Foreground(blue),

		OK:      lipgloss.NewStyle().Foreground(green),
		Pending: lipgloss.NewStyle().Foreground(yellow),
		Warn:    lipgloss.NewStyle().Foreground(yellow).Bold(true),
		Err:     lipgloss.NewStyle().Foreground(red).Bold(true),

		ColHeader: lipgloss.NewStyle().Bold(true).Underline(true),
		Label:     lipgloss.NewStyle().Foreground(muted),
		Box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),

		Dialog:        lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 2),
		Button:        lipgloss.NewStyle().Padding(0, 1).Foreground(muted),
		ButtonFocused: lipgloss.NewStyle().Padding(0, 1).Bold(true).Reverse(true),

		Help: help.DefaultStyles(isDark),

		G: unicodeGlyphs,
	}
	return s
}

// PlainStyles are used for TERM=dumb: no colour and ASCII-only glyphs, since
// such terminals often cannot draw box characters either. NO_COLOR alone keeps
// the glyphs (Bubble Tea strips the colours).
func PlainStyles() Styles {
	s := NewStyles(true)
	plain := lipgloss.NewStyle()
	s.HeaderApp = plain.Bold(true)
	s.Tab, s.Footer, s.Muted, s.Label = plain, plain, plain, plain
	s.Marked = plain.Bold(true)
	s.Dir = plain.Bold(true)
	s.OK, s.Pending = plain, plain
	s.Warn, s.Err = plain.Bold(true), plain.Bold(true)
	s.Box = plain.Border(lipgloss.ASCIIBorder()).Padding(0, 1)
	s.Dialog = plain.Border(lipgloss.ASCIIBorder()).Padding(0, 2)
	s.Button, s.ButtonFocused = plain.Padding(0, 1), plain.Padding(0, 1).Bold(true)
	s.Help = help.Styles{}
	s.G = asciiGlyphs
	return s
}
