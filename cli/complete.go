package cli

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/store"
	"github.com/fwbatch/fwbatch/submit"
)

// completeAudio lets the shell complete folders and audio files, for the
// commands that take them.
func completeAudio(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	exts := make([]string, 0, 2*len(submit.AudioExts))
	for _, e := range submit.AudioExts {
		e = strings.TrimPrefix(e, ".")
		exts = append(exts, e, strings.ToUpper(e)) // shells match extensions by case
	}
	return exts, cobra.ShellCompDirectiveFilterFileExt
}

// maxIDCompletions bounds what one TAB offers: a list to pick from, not to
// browse 100,000 jobs in (that is `fwbatch list`).
const maxIDCompletions = 100

// completeIDs completes batch ids, and local submission ids once the user
// has typed the start of one, from the history: the jobs first for which
// first(sub) is true, then newest first, each described by its file and
// status. It never touches the network and reads the history with
// store.Skim, which keeps it within 100 ms on 100,000 submissions
// (BenchmarkCompleteIDs).
func (r *runner) completeIDs(g *globalFlags, first func(*store.Submission) bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		path, err := r.historyPath(g)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		// Completion runs in a process of its own, which ends right after:
		// collecting garbage it will never reuse is a tenth of its work.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		briefs, err := store.Skim(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return idCompletions(briefs, args, toComplete, first), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// idCompletions picks and orders the candidates; see completeIDs.
func idCompletions(briefs []store.Brief, given []string, toComplete string, first func(*store.Submission) bool) []cobra.Completion {
	type candidate struct {
		brief *store.Brief
		value string // its batch id or its local id
	}
	var firsts, rest []candidate
	var sub store.Submission                // reused for every brief: first keeps no pointer to it
	for i := len(briefs) - 1; i >= 0; i-- { // the history is oldest first
		b := &briefs[i]
		if b.Hidden || b.BatchID == "" || slices.Contains(given, b.BatchID) || slices.Contains(given, b.ID) {
			continue
		}
		c := candidate{brief: b}
		switch {
		case strings.HasPrefix(b.BatchID, toComplete):
			c.value = b.BatchID
		case toComplete != "" && strings.HasPrefix(b.ID, toComplete):
			c.value = b.ID
		default:
			continue
		}
		if sub = b.Submission(); first(&sub) {
			firsts = append(firsts, c)
		} else {
			rest = append(rest, c)
		}
	}
	all := append(firsts, rest...)
	shown := all[:min(len(all), maxIDCompletions)]
	out := make([]cobra.Completion, 0, len(shown)+1)
	for _, c := range shown {
		sub = c.brief.Submission()
		desc := displayName(&sub) + ", " + statusWord(&sub)
		out = append(out, cobra.CompletionWithDesc(c.value, oneLineDesc(desc)))
	}
	if more := len(all) - len(shown); more > 0 {
		// The shell inserts what all candidates share; offering what all
		// the matches share keeps it from completing into the newest ones
		// and hiding the rest.
		prefix := all[0].value
		for _, c := range all[1:] {
			prefix = prefix[:commonPrefix(prefix, c.value)]
		}
		if prefix != "" {
			out = append(out, cobra.CompletionWithDesc(prefix, fmt.Sprintf("%d more, older: type more of the id", more)))
		}
	}
	return out
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// oneLineDesc keeps a description to one line of the completion protocol,
// where a tab or a newline would end it early.
func oneLineDesc(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// pendingFirst ranks the jobs `fwbatch status` would check first.
func pendingFirst(s *store.Submission) bool { return submit.NeedsCheck(s) }

// doneFirst ranks the jobs `fwbatch result` can write first.
func doneFirst(s *store.Submission) bool { return submit.Classify(s.ServerStatus) == submit.Completed }
