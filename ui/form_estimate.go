package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/fwbatch/fwbatch/audio"
	"github.com/fwbatch/fwbatch/cost"
	"github.com/fwbatch/fwbatch/internal/termsafe"
	"github.com/fwbatch/fwbatch/submit"
)

// The form says how much audio it is about to send and what that is
// expected to cost, for the endpoint and model chosen, as the choice
// changes: "12 files · 420.0 MiB · 3 h 14 min of audio · estimate ≈ $0.10",
// then what the estimate rests on (the price and where it comes from) and
// what it leaves out. It is only ever an estimate, shown as one; it never holds
// a submission up. The lengths are read in a command; until they come, the
// line says so.

// formLengthsMsg carries the lengths of a form's files.
type formLengthsMsg struct {
	files   []string // the form they were read for
	lengths map[string]audio.Length
}

// measure reads the form's files' lengths from their headers.
func (s *formScreen) measure() tea.Cmd {
	files, measure := s.files, s.sh.deps.MeasureFiles
	return func() tea.Msg {
		msg := formLengthsMsg{files: files, lengths: make(map[string]audio.Length, len(files))}
		for i, m := range measure(context.Background(), files, lengthWorkers) {
			msg.lengths[files[i]] = m.Info.Length
		}
		return msg
	}
}

// gotLengths keeps the lengths read for this form.
func (s *formScreen) gotLengths(msg formLengthsMsg) {
	if slices.Equal(msg.files, s.files) {
		s.lengths = msg.lengths
	}
}

// model is the model the chosen endpoint runs: what the estimate prices.
func (s *formScreen) model() string {
	if o, err := s.options(); err == nil {
		return o.Model
	}
	return submit.ModelFor(s.endpoint)
}

// estimateBlock is estimateLines as estimateHeight lines, each ending in a
// newline: the form below does not move as the lines come and go.
func (s *formScreen) estimateBlock() string {
	var b strings.Builder
	est := s.estimateLines()
	for i := range s.estimateHeight() {
		if i < len(est) {
			b.WriteString(est[i])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// estimateLines are the form's account of what it would send: the figures
// on one line, then what the estimate rests on, wrapped to at most
// basisLines lines.
func (s *formScreen) estimateLines() []string {
	st := s.sh.st
	files := s.sendable()
	var bytes int64
	for _, f := range files {
		bytes += s.sizes[f]
	}
	n := fmt.Sprintf("%d %s", len(files), map[bool]string{true: "file", false: "files"}[len(files) == 1])
	if !s.checked || s.lengths == nil {
		return []string{truncate(st.Muted.Render(n+" · measuring"+st.G.Ellipsis), s.w)}
	}
	var total cost.Total
	for _, f := range files {
		total.Add(s.lengths[f])
	}
	est := s.sh.deps.Prices.Estimate(s.model(), total)
	audioText, amount := total.String()+" of audio", "estimate "+est.String()
	if total.Files > 0 && total.Unknown == total.Files {
		audioText = "length unknown"
	}
	basis := est.PriceText() + "; " + cost.NotIncludedText()
	switch {
	case s.sh.deps.PricesProblem != "":
		amount, basis = "no estimate", termsafe.Line(s.sh.deps.PricesProblem) // it names the config file
	case !est.Known:
		amount = "no estimate"
	}
	lines := []string{truncate(fmt.Sprintf("%s · %s · %s · %s", n, humanBytes(bytes), audioText, st.Title.Render(amount)), s.w)}
	wrapped := strings.Split(wrap(basis, s.w), "\n")
	if keep := s.basisLines(); len(wrapped) > keep {
		wrapped = wrapped[:keep]
		wrapped[keep-1] = truncate(wrapped[keep-1]+" "+st.G.Ellipsis, s.w)
	}
	for _, l := range wrapped {
		lines = append(lines, st.Muted.Render(l))
	}
	return lines
}

// basisLines is how many lines what the estimate rests on may take: one on
// a short terminal, where the form needs the room, two otherwise.
func (s *formScreen) basisLines() int {
	if s.h < 20 {
		return 1
	}
	return 2
}

// estimateHeight is the most lines estimateLines draws.
func (s *formScreen) estimateHeight() int { return 1 + s.basisLines() }
