package cli

import (
	"fmt"

	mcobra "github.com/muesli/mango-cobra"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
)

func (r *runner) newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man",
		Short: "Write fwbatch's man page (roff) to stdout",
		Long: `Write fwbatch's man page, in roff, to stdout: every command and flag, the
environment, the files fwbatch keeps and the exit status.`,
		Example: `fwbatch man | man -l -
fwbatch man > ~/.local/share/man/man1/fwbatch.1`,
		Args: noArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) int {
			page, err := mcobra.NewManPage(1, cmd.Root())
			if err != nil {
				return r.fail(ExitFailed, "man page: %v", err)
			}
			page = page.
				WithSection("Environment", manEnvironment).
				WithSection("Files", manFiles).
				WithSection("Exit status", manExitStatus)
			if _, err := fmt.Fprint(cmd.OutOrStdout(), page.Build(roff.NewDocument())); err != nil {
				return r.fail(ExitFailed, "writing the man page: %v", err)
			}
			return ExitOK
		}),
	}
}

const manEnvironment = `FIREWORKS_API_KEY: the API key (never a flag).
FIREWORKS_BATCH_BASE_URL: the batch API's base URL (--base-url).
FWBATCH_HISTORY: the history file (--history).
XDG_STATE_HOME, XDG_CONFIG_HOME: where the history and the config file live.
NO_COLOR: any value turns colour off; TERM=dumb also uses ASCII glyphs.`

const manFiles = `$XDG_STATE_HOME/fwbatch/history.jsonl (default ~/.local/state/fwbatch/history.jsonl): every submission, one JSON event per line; the only record of your batch jobs.
results/ beside it: saved transcripts.
$XDG_CONFIG_HOME/fwbatch/config.json (default ~/.config/fwbatch/config.json): the last form values, and the API key if you chose to save it (mode 0600).
~/.local/state/fwbatch/demo/: the demo's own history, fake jobs and sample recordings.`

const manExitStatus = `0: every item succeeded. 1: some item failed. 2: a usage or setup error.`
