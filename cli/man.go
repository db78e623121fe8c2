package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/muesli/mango"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
			root := cmd.Root()
			page := mango.NewManPage(1, root.Name(), root.Short).
				WithLongDescription(unwrap(root.Long)).
				WithSection("Environment", manEnvironment).
				WithSection("Files", manFiles).
				WithSection("Exit status", manExitStatus)
			root.Flags().VisitAll(manFlag(&page.Root))
			if err := addManCommands(&page.Root, root); err != nil {
				return r.fail(ExitFailed, "man page: %v", err)
			}
			roffText := page.Build(roff.NewDocument())
			// mango heads the page with today's date and the one-line
			// description; the usual head is the program's date and name.
			_, body, _ := strings.Cut(roffText, "\n")
			date := time.Now().UTC().Format("2006-01-02")
			if t, err := time.Parse(time.RFC3339, buildInfo().date); err == nil {
				date = t.UTC().Format("2006-01-02") // release builds: the same page each time
			}
			head := fmt.Sprintf(".TH FWBATCH 1 %q %q %q\n", date, "fwbatch "+buildInfo().version, "User Commands")
			if _, err := fmt.Fprint(cmd.OutOrStdout(), head+body); err != nil {
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

// unwrap joins the lines of each paragraph of help text into one: mango
// starts a new paragraph at every newline.
func unwrap(text string) string {
	paras := strings.Split(text, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n")
}

// addManCommands lists c's commands under m, each with its own flags only:
// the global ones are listed once, with the program's. (mango-cobra would
// repeat them under every command.)
func addManCommands(m *mango.Command, c *cobra.Command) error {
	for _, sub := range c.Commands() {
		if sub.Hidden || sub.Name() == "help" {
			continue
		}
		item := mango.NewCommand(sub.Name(), sub.Short, sub.Use)
		sub.LocalNonPersistentFlags().VisitAll(manFlag(item))
		if err := addManCommands(item, sub); err != nil {
			return err
		}
		if err := m.AddCommand(item); err != nil {
			return err
		}
	}
	return nil
}

// manFlag adds a flag to the page as "-j --json" or "--wait", with its
// default. (mango's own pflag support would print "--j --json".)
func manFlag(c *mango.Command) func(*pflag.Flag) {
	return func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		usage := f.Usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += " (default " + f.DefValue + ")"
		}
		_ = c.AddFlag(mango.Flag{Name: "-" + f.Name, Short: f.Shorthand, Usage: usage})
	}
}
