package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

// formScreen is the huh form for how the chosen files are processed. Values
// live in the screen (bound by pointer), so the form can be rebuilt at any
// time without losing them. ctrl+s submits from any field; the documented
// rules are checked live and explained before any upload.
type formScreen struct {
	sh    *shared
	files []string
	sizes map[string]int64
	// refused holds the files the checks before an upload refuse (not
	// audio, empty, unreadable), by path, with why: said in the form,
	// left out of the submission.
	refused map[string]string
	checked bool // the files were looked at
	// lengths are how long the files play, read in a command for the
	// estimate (form_estimate.go); nil until then.
	lengths map[string]audio.Length
	w, h    int

	form    *huh.Form
	started bool // init has run (see Model.Update on WindowSizeMsg)
	// The fields follow() may change: setting their options again makes
	// huh show the new value (it reads the bound value only then).
	formatSel, granSel *huh.Select[string]

	formValues             // bound to the fields by pointer
	opened      formValues // what the form opened with, to tell edits
	prevDiarize bool
	prevTask    string
	// beforeDiarize is what switching diarize on changed, put back when it
	// is switched off again.
	beforeDiarize *struct{ format, gran string }
	adjusted      string // what the form changed on its own, said once
	problem       string // the first rule the values break

	alreadyDone formDone // the files already submitted with these options (form_done.go)
}

// formValues are the form's fields as typed: they outlive the form (esc
// and back keeps them), and may hold what does not validate yet.
type formValues struct {
	task, endpoint, format, gran  string
	diarize                       bool
	language, prompt, temperature string
	minSpk, maxSpk                string
	vad, alignment, preprocessing string
}

func valuesOf(d submit.Options) formValues {
	d = d.WithDefaults()
	v := formValues{
		task: d.Task, endpoint: d.Endpoint, format: d.ResponseFormat, gran: d.TimestampGranularities,
		diarize: d.Diarize, language: d.Language, prompt: d.Prompt, temperature: d.Temperature,
		vad: d.VADModel, alignment: d.AlignmentModel, preprocessing: d.Preprocessing,
	}
	if d.MinSpeakers > 0 {
		v.minSpk = strconv.Itoa(d.MinSpeakers)
	}
	if d.MaxSpeakers > 0 {
		v.maxSpk = strconv.Itoa(d.MaxSpeakers)
	}
	return v
}

func newFormScreen(sh *shared, files []string, v formValues) *formScreen {
	s := &formScreen{sh: sh, files: files, sizes: map[string]int64{}, formValues: v, opened: v}
	s.alreadyDone.skip = true
	s.countDone()
	s.prevDiarize, s.prevTask = s.diarize, s.task
	s.build()
	s.check()
	return s
}

// edited reports whether a value differs from what the form opened with.
func (s *formScreen) edited() bool { return s.formValues != s.opened }

// init checks the files (in a command), as the upload will, and starts
// the form: a file that would be refused is said so here, before anything
// is sent.
func (s *formScreen) init() tea.Cmd {
	s.started = true
	files, force := s.files, s.sh.deps.Force
	check := func() tea.Msg {
		msg := filesCheckedMsg{files: files, sizes: map[string]int64{}, refused: map[string]string{}}
		for _, f := range files {
			fi, err := submit.Preflight(f, force)
			var fe *submit.FileError
			switch {
			case errors.As(err, &fe):
				msg.refused[f] = fe.Problem
			case err != nil:
				msg.refused[f] = err.Error()
			default:
				msg.sizes[f] = fi.Size()
			}
		}
		return msg
	}
	return tea.Batch(s.form.Init(), check, s.measure(), s.lookAtFormFiles())
}

// filesCheckedMsg: what the checks before an upload say of the form's files.
type filesCheckedMsg struct {
	files   []string // the form they were checked for
	sizes   map[string]int64
	refused map[string]string
}

// sendable are the files the checks did not refuse.
func (s *formScreen) sendable() []string {
	var out []string
	for _, f := range s.files {
		if _, bad := s.refused[f]; !bad {
			out = append(out, f)
		}
	}
	return out
}

func formatOptions() []huh.Option[string] { return options(submit.ResponseFormats, "") }

func granOptions() []huh.Option[string] {
	return options(submit.TimestampGranularities, "server default (segment)")
}

func opt(label, value string) huh.Option[string] { return huh.NewOption(label, value) }

func options(values []string, defaultLabel string) []huh.Option[string] {
	var out []huh.Option[string]
	if defaultLabel != "" {
		out = append(out, opt(defaultLabel, ""))
	}
	for _, v := range values {
		out = append(out, opt(v, v))
	}
	return out
}

func (s *formScreen) build() {
	endpoints := make([]huh.Option[string], 0, len(submit.Endpoints))
	for _, e := range submit.Endpoints {
		endpoints = append(endpoints, opt(e+" ("+submit.ModelFor(e)+")", e))
	}
	s.formatSel = huh.NewSelect[string]().Key("response_format").Title("Response format").Inline(true).
		Options(formatOptions()...).Value(&s.format)
	s.granSel = huh.NewSelect[string]().Key("timestamp_granularities").Title("Timestamps").Inline(true).
		Options(granOptions()...).Value(&s.gran)
	input := func(key, title, placeholder string, v *string) *huh.Input {
		return huh.NewInput().Key(key).Title(title).Inline(true).Prompt(": ").Placeholder(placeholder).Value(v)
	}
	basics := huh.NewGroup(
		huh.NewSelect[string]().Key("task").Title("Task").Inline(true).
			Options(opt("transcribe", submit.TaskTranscribe), opt("translate to English", submit.TaskTranslate)).Value(&s.task),
		huh.NewSelect[string]().Key("endpoint").Title("Endpoint").Inline(true).
			Options(endpoints...).Value(&s.endpoint),
		s.formatSel,
		huh.NewConfirm().Key("diarize").Title("Diarize (speaker labels)").
			DescriptionFunc(func() string {
				if s.task == submit.TaskTranslate {
					return "not available for translations"
				}
				return "sets verbose_json and word timestamps"
			}, &s.task).Affirmative("Yes").Negative("No").Value(&s.diarize),
		input("language", "Language", "auto-detect (ISO 639-1: en, de, zh…)", &s.language),
		s.alreadyField(),
	).Title("Request").Description("tab/enter: next field, then the advanced options · ctrl+s submits now")
	advanced := huh.NewGroup(
		input("prompt", "Prompt", "names, jargon, style", &s.prompt),
		input("temperature", "Temperature", "0, or a fallback list 0,0.2,0.4", &s.temperature),
		s.granSel,
		input("min_speakers", "Min speakers", "only with diarize", &s.minSpk),
		input("max_speakers", "Max speakers", "only with diarize", &s.maxSpk),
		huh.NewSelect[string]().Key("vad_model").Title("VAD model").Inline(true).
			Options(options(submit.VADModels, "server default (silero)")...).Value(&s.vad),
		huh.NewSelect[string]().Key("alignment_model").Title("Alignment").Inline(true).
			Options(options(submit.AlignmentModels, "server default (mms_fa)")...).Value(&s.alignment),
		huh.NewSelect[string]().Key("preprocessing").Title("Preprocessing").Inline(true).
			Options(options(submit.Preprocessings, "server default (none)")...).Value(&s.preprocessing),
	).Title("Advanced")
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithDisabled()) // ctrl+c belongs to the root
	s.form = huh.NewForm(basics, advanced).
		WithShowHelp(false).
		WithKeyMap(km).
		WithTheme(huh.ThemeFunc(formTheme(s.sh.st)))
	s.size()
}

// formTheme is huh's base theme, without colour when the terminal is plain.
// A yes/no field marks its chosen button with a glyph: huh shows the choice
// by colour alone, which NO_COLOR and TERM=dumb take away.
func formTheme(st Styles) func(bool) *huh.Styles {
	return func(isDark bool) *huh.Styles {
		t := huh.ThemeCharm(isDark)
		if st.G == asciiGlyphs {
			t = huh.ThemeBase(isDark)
		}
		t.FieldSeparator = lipgloss.NewStyle().SetString("\n")
		chosen := func(s string) string { return st.G.Mark + " " + s }
		other := func(s string) string { return st.G.Unmarked + " " + s }
		for _, f := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
			f.FocusedButton = f.FocusedButton.Transform(chosen)
			f.BlurredButton = f.BlurredButton.Transform(other)
		}
		return t
	}
}

func (s *formScreen) size() {
	// Below the minimum nothing but the "too small" line is drawn, and huh's
	// inputs cannot be laid out in a handful of cells (their placeholder
	// panics), so the form keeps its last good size.
	if s.form == nil || s.w < minWidth || s.h < minHeight-3 {
		return
	}
	// Side by side when there is room; otherwise one group at a time.
	layout := huh.LayoutDefault
	if s.w >= 120 {
		layout = huh.LayoutColumns(2)
	}
	s.form.WithLayout(layout).WithWidth(s.w).WithHeight(max(s.h-s.headerLines(), 3))
}

// headerLines are the lines above the form: the files, the estimate, the
// state of the checks, the files already submitted (form_done.go).
func (s *formScreen) headerLines() int { return 3 + s.estimateHeight() }

func (s *formScreen) setSize(w, h int) {
	s.w, s.h = w, h
	s.size()
}

// typing is true while a text field has focus: letters belong to it.
func (s *formScreen) typing() bool {
	switch s.form.GetFocusedField().(type) {
	case *huh.Input, *huh.Text:
		return true
	}
	return false
}

func (s *formScreen) keys() help.KeyMap {
	k := s.sh.keys
	next := key.NewBinding(key.WithKeys("tab", "enter"), key.WithHelp("tab/enter", "next field"))
	prev := key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous"))
	choose := k.Choose
	short := []key.Binding{k.Submit, next, choose, k.Back}
	if !s.typing() {
		short = append(short, k.Help)
	}
	return bindings{
		short: short,
		full:  [][]key.Binding{{k.Submit, k.Back}, {next, prev, choose}, {k.LogOpen, k.Uploads, k.Help, k.ForceQuit}},
	}
}

// options returns the form's values as submit options.
func (s *formScreen) options() (submit.Options, error) {
	o := submit.Options{
		Task: s.task, Endpoint: s.endpoint, ResponseFormat: s.format, Diarize: s.diarize,
		// Codes are lower case; EN is what a user means by en.
		Language: strings.ToLower(strings.TrimSpace(s.language)), Prompt: s.prompt, Temperature: strings.TrimSpace(s.temperature),
		TimestampGranularities: s.gran, VADModel: s.vad, AlignmentModel: s.alignment, Preprocessing: s.preprocessing,
	}
	for _, f := range []struct {
		name string
		text string
		dst  *int
	}{{"min_speakers", s.minSpk, &o.MinSpeakers}, {"max_speakers", s.maxSpk, &o.MaxSpeakers}} {
		t := strings.TrimSpace(f.text)
		if t == "" {
			continue
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return o, &submit.FieldError{Field: f.name, Problem: fmt.Sprintf("%q is not a whole number of speakers (1 or more)", t)}
		}
		*f.dst = n
	}
	o = o.WithDefaults()
	return o, o.Validate()
}

// redrawFormMsg makes the huh form redraw; no field reacts to it.
type redrawFormMsg struct{}

// follow applies the rules that the form can fix on its own: diarize needs
// verbose_json with word timestamps, and translations cannot be diarized. It
// reports whether it changed a value.
func (s *formScreen) follow() bool {
	adjusted := s.adjusted
	s.adjusted = ""
	if s.task != s.prevTask && s.task == submit.TaskTranslate && s.diarize {
		s.diarize = false
		s.adjusted = "diarize switched off: translations cannot be diarized"
	}
	switch {
	case s.diarize && !s.prevDiarize && s.task == submit.TaskTranslate:
		s.diarize = false
		s.adjusted = "diarize is not available for translations: choose transcribe first"
	case s.diarize && !s.prevDiarize:
		before := struct{ format, gran string }{s.format, s.gran}
		var changed []string
		if s.format != "verbose_json" {
			s.format = "verbose_json"
			changed = append(changed, "response format verbose_json")
		}
		if !strings.Contains(s.gran, "word") {
			s.gran = "word,segment"
			changed = append(changed, "timestamps word,segment")
		}
		if len(changed) > 0 {
			s.beforeDiarize = &before
			s.adjusted = "diarize needs " + strings.Join(changed, " and ") + ": set"
			s.showChoices()
		}
	case !s.diarize && s.prevDiarize && s.beforeDiarize != nil:
		// Put back what switching diarize on changed, unless the user
		// changed it since.
		b := s.beforeDiarize
		s.beforeDiarize = nil
		var restored []string
		if s.format == "verbose_json" && b.format != s.format {
			s.format = b.format
			restored = append(restored, "response format "+orDefault(b.format))
		}
		if s.gran == "word,segment" && b.gran != s.gran {
			s.gran = b.gran
			restored = append(restored, "timestamps "+orDefault(b.gran))
		}
		if len(restored) > 0 {
			s.adjusted = "diarize off: " + strings.Join(restored, " and ") + " as before"
			s.showChoices()
		}
	}
	s.prevDiarize, s.prevTask = s.diarize, s.task
	if s.adjusted != "" {
		return true
	}
	s.adjusted = adjusted
	return false
}

// showChoices makes huh show values follow() changed: it reads a bound
// value only when its options are set.
func (s *formScreen) showChoices() {
	s.formatSel.Options(formatOptions()...)
	s.granSel.Options(granOptions()...)
}

func orDefault(v string) string {
	if v == "" {
		return "server default"
	}
	return v
}

func (s *formScreen) check() {
	if _, err := s.options(); err != nil {
		s.problem = err.Error()
	} else {
		s.problem = ""
	}
}

func (s *formScreen) submit() tea.Cmd {
	o, err := s.options()
	if err != nil {
		s.problem = err.Error()
		return nil
	}
	files := s.sendable()
	if len(files) == 0 {
		s.problem = "no file here can be sent: " + s.refusals()
		return nil
	}
	files, skipped, problem := s.leaveOutDone(files)
	if problem != "" {
		s.problem = problem
		return nil
	}
	refused := make(map[string]string, len(s.refused))
	for f, why := range s.refused {
		refused[f] = why
	}
	return emit(submitFormMsg{files: files, opts: o, refused: refused, skipDone: s.alreadyDone.skip, skipped: skipped})
}

// refusals says in one line why files are refused: "notes.txt: not an
// audio file; empty.wav: empty".
func (s *formScreen) refusals() string {
	var parts []string
	for _, f := range s.files {
		if why, bad := s.refused[f]; bad {
			parts = append(parts, displayName(f)+": "+termsafe.Line(why))
		}
	}
	return strings.Join(parts, "; ")
}

func (s *formScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case filesCheckedMsg:
		if !slices.Equal(msg.files, s.files) {
			return nil // for a form before this one
		}
		s.sizes, s.refused, s.checked = msg.sizes, msg.refused, true
		s.alreadyDone.counted = submit.Options{Task: "\x00"} // the files to count changed
		s.countDone()
		return nil
	case formRecordingsMsg:
		s.takeRecordings(msg)
		return nil
	case formLengthsMsg:
		s.gotLengths(msg)
		return nil
	case tea.KeyPressMsg:
		s.adjusted = "" // said once: the next key press clears it
		switch {
		case key.Matches(msg, s.sh.keys.Submit):
			return s.submit()
		case key.Matches(msg, s.sh.keys.Back):
			return emit(formBackMsg{})
		}
	}
	m, cmd := s.form.Update(msg)
	if f, ok := m.(*huh.Form); ok {
		s.form = f
	}
	if s.follow() {
		// huh draws a group when it updates it: a message of our own makes
		// it draw the values follow() changed.
		s.form.Update(redrawFormMsg{})
	}
	s.check()
	s.countDone()
	if s.form.State == huh.StateCompleted {
		// enter on the last field: submit, or show why not and keep going
		// with a fresh form (a completed huh form cannot be reused).
		submitCmd := s.submit()
		if submitCmd == nil {
			s.build()
			return tea.Batch(cmd, s.form.Init())
		}
		return submitCmd
	}
	return cmd
}

func (s *formScreen) view() string {
	st := s.sh.st
	var b strings.Builder
	names := make([]string, 0, len(s.files))
	for _, f := range s.sendable() {
		names = append(names, displayName(f))
	}
	head := fmt.Sprintf("%s %d file(s): %s", st.Title.Render("Submit"), len(names), strings.Join(names, ", "))
	b.WriteString(truncate(head, s.w))
	b.WriteByte('\n')
	b.WriteString(s.estimateBlock())
	switch {
	case s.problem != "":
		b.WriteString(truncate(st.Err.Render(st.G.Cross+" "+s.problem), s.w))
	case len(s.refused) > 0:
		line := fmt.Sprintf("%s %d not sent: %s", st.G.Cross, len(s.refused), s.refusals())
		b.WriteString(truncate(st.Err.Render(line), s.w))
	case s.adjusted != "":
		b.WriteString(truncate(st.Warn.Render(st.G.Bang+" "+s.adjusted), s.w))
	case !s.checked:
		b.WriteString(truncate(st.Muted.Render("looking at the files"+st.G.Ellipsis), s.w))
	default:
		b.WriteString(truncate(st.OK.Render(st.G.Check+" ready: ctrl+s submits"), s.w))
	}
	b.WriteString("\n" + truncate(s.doneLine(), s.w) + "\n")
	b.WriteString(s.form.View())
	return b.String()
}
