package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

const rootLong = `Submit audio files to the Fireworks audio batch API and keep track of every
batch job until its transcript is saved. Run without a command, fwbatch opens
the interactive UI: PATH is a folder to browse, or audio files to open the form
for; without PATH it opens the current folder (with --demo, a folder of sample
recordings).

The API key comes from FIREWORKS_API_KEY (or the UI's prompt, or the config
file), never from a flag. Environment: FIREWORKS_API_KEY,
FIREWORKS_BATCH_BASE_URL, FWBATCH_HISTORY, XDG_STATE_HOME, XDG_CONFIG_HOME,
NO_COLOR. Exit status: 0 all went well, 1 some item failed, 2 usage or setup
error.`

const rootExample = `# try everything offline, against a built-in fake of the API
fwbatch --demo
fwbatch ~/recordings
fwbatch --endpoint audio-turbo --response-format srt talk.flac`

// newRootCmd builds the whole command tree: the UI at the root, a command
// per file beside it.
func (r *runner) newRootCmd() *cobra.Command {
	var g globalFlags
	var o optionFlags
	root := &cobra.Command{
		Use:               "fwbatch [PATH...]",
		Short:             "Transcribe audio with the Fireworks batch API, and keep track of every job",
		Long:              rootLong,
		Example:           rootExample,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeAudio,
		RunE: run(func(cmd *cobra.Command, paths []string) int {
			return r.interactive(cmd, &g, &o, paths)
		}),
	}
	if r.stdin != nil {
		root.SetIn(r.stdin)
	}
	root.SetOut(r.stdout)
	root.SetErr(r.stderr)
	g.register(root.PersistentFlags())
	o.register(root.Flags())
	root.SetVersionTemplate("fwbatch {{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	root.AddCommand(
		r.newSubmitCmd(&g),
		r.newStatusCmd(&g),
		r.newResultCmd(&g),
		r.newListCmd(&g),
		r.newSyncCmd(&g),
		r.newUsageCmd(&g),
		r.newVersionCmd(),
		r.newManCmd(),
	)
	// cobra would add these while running; added now, the loops below see
	// them too (the completion command writes where root.SetOut says).
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	refuseUnknownShells(root)
	registerValueCompletions(root)
	withHelpHints(root)
	return root
}

// withHelpHints makes every flag and argument error of the tree name the
// help that explains it, and refuses the flags people try for the key.
func withHelpHints(root *cobra.Command) {
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if msg := keyFlagError(err); msg != "" {
			return fmt.Errorf("%s", msg)
		}
		return fmt.Errorf("%w (see `%s --help`)", err, cmd.CommandPath())
	})
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if args := c.Args; args != nil {
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return fmt.Errorf("%w (see `%s --help`)", err, cmd.CommandPath())
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// refuseUnknownShells makes `fwbatch completion tcsh` a usage error naming
// the shells there are scripts for. Cobra's completion command has no Run of
// its own, so cobra never checks its Args: any word that is not one of its
// subcommands printed its help and exited 0. A Run that shows that help
// makes cobra check the Args first; `fwbatch completion` alone still shows it.
func refuseUnknownShells(root *cobra.Command) {
	completion, _, err := root.Find([]string{"completion"})
	if err != nil || completion == root {
		return
	}
	var shells []string
	for _, c := range completion.Commands() {
		shells = append(shells, c.Name())
	}
	completion.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown shell %q: fwbatch has completion scripts for %s", args[0], strings.Join(shells, ", "))
		}
		return nil
	}
	completion.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// noArgs is cobra.NoArgs with fwbatch's wording.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args[0])
	}
	return nil
}
