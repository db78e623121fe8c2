package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/internal/termsafe"
)

// keyEnteredMsg: the user typed an API key (and chose whether to save it).
type keyEnteredMsg struct {
	key  string
	save bool
	then *submitFormMsg // the submission that asked for the key
}

// keyScreen asks for the API key, masked, then whether to save it.
type keyScreen struct {
	sh        *shared
	input     textinput.Model
	then      *submitFormMsg
	canSave   bool
	replacing bool // a key is set: this one is to replace it (K)
	asking    bool // the key is typed; asking whether to save it
	problem   string
	w, h      int
}

func newKeyScreen(sh *shared, then *submitFormMsg, canSave, replacing bool) *keyScreen {
	s := &keyScreen{sh: sh, then: then, canSave: canSave, replacing: replacing}
	s.input = newInput(sh.st, "API key: ")
	s.input.EchoMode = textinput.EchoPassword
	s.input.EchoCharacter = '•'
	if sh.st.G == asciiGlyphs {
		s.input.EchoCharacter = '*'
	}
	s.input.Placeholder = "paste your Fireworks API key"
	return s
}

func (s *keyScreen) init() tea.Cmd { return s.input.Focus() }

func (s *keyScreen) typing() bool { return !s.asking }

func (s *keyScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.input.SetWidth(max(w-12, 10))
}

func (s *keyScreen) keys() help.KeyMap {
	enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "use this key"))
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	if s.asking {
		return bindings{short: []key.Binding{s.sh.keys.Yes, s.sh.keys.No}, full: [][]key.Binding{{s.sh.keys.Yes, s.sh.keys.No}}}
	}
	return bindings{short: []key.Binding{enter, back, s.sh.keys.ForceQuit}, full: [][]key.Binding{{enter, back, s.sh.keys.ForceQuit}}}
}

func (s *keyScreen) update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyPressMsg); ok {
		if s.asking {
			switch km.String() {
			case "y", "Y":
				return emit(keyEnteredMsg{key: s.value(), save: true, then: s.then})
			case "n", "N", "enter":
				return emit(keyEnteredMsg{key: s.value(), then: s.then})
			case "esc":
				s.asking = false
				return s.input.Focus()
			}
			return nil
		}
		switch km.String() {
		case "esc":
			return emit(formBackToMsg{})
		case "enter":
			k := s.value()
			switch {
			case k == "":
				s.problem = "type or paste the key first (esc goes back)"
				return nil
			case strings.ContainsAny(k, " \t"):
				s.problem = "an API key has no spaces: check what was pasted"
				return nil
			}
			s.problem = ""
			if !s.canSave {
				return emit(keyEnteredMsg{key: k, then: s.then})
			}
			s.asking = true
			s.input.Blur()
			return nil
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *keyScreen) value() string { return strings.TrimSpace(s.input.Value()) }

func (s *keyScreen) configPath() string {
	if p := s.sh.deps.ConfigPath; p != "" {
		return p
	}
	return "the config file"
}

// formBackToMsg leaves the key prompt for where it was opened from.
type formBackToMsg struct{}

func (s *keyScreen) view() string {
	st := s.sh.st
	var b strings.Builder
	b.WriteString(st.Title.Render("Fireworks API key"))
	b.WriteString("\n\n")
	intro := "No API key is set (FIREWORKS_API_KEY). Enter one to submit."
	if s.replacing {
		intro = "Enter another API key, for the rest of this session (and, if you save it, the next ones)."
	}
	b.WriteString(wrap(intro+" It is sent only to the batch API, as the Authorization header, and is never written to the history or logs.", s.w))
	b.WriteString("\n\n")
	b.WriteString(s.input.View())
	if s.problem != "" {
		b.WriteString("\n" + st.Err.Render(s.problem))
	}
	if s.asking {
		b.WriteString("\n\n")
		b.WriteString(st.Warn.Render(wrap("Save this key ("+maskKey(s.value())+") to the config file for next time? (y/N)", s.w)))
		b.WriteString("\n" + st.Muted.Render(wrap("It is stored in "+termsafe.Line(s.configPath())+" with mode 0600.", s.w)))
	}
	return b.String()
}
