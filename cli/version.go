package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version, Commit and Date describe a release build; scripts/release.sh sets
// them with -ldflags "-X github.com/fwbatch/fwbatch/cli.Version=v1.2.3 …".
// Left empty, they come from what the Go toolchain recorded in the binary.
var (
	Version string
	Commit  string
	Date    string // the commit's time, RFC 3339
)

// build is what `fwbatch version` prints.
type build struct {
	version, commit, date string
	dirty                 bool
}

// buildInfo reads the -ldflags values, or else the module version and the
// VCS stamp `go build` puts in the binary.
func buildInfo() build {
	b := build{version: Version, commit: Commit, date: Date}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.version = info.Main.Version // go install …@v1.2.3
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.commit == "":
				b.commit = s.Value
			case s.Key == "vcs.time" && b.date == "":
				b.date = s.Value
			case s.Key == "vcs.modified" && Commit == "":
				b.dirty = s.Value == "true"
			}
		}
	}
	if c, ok := strings.CutSuffix(b.commit, "-dirty"); ok {
		b.commit, b.dirty = c, true // scripts/release.sh with ALLOW_DIRTY=1
	}
	if b.version == "" {
		b.version = "dev"
	}
	return b
}

// String is "v1.2.3 (commit 1a2b3c4d5e6f, 2026-11-30T10:00:00Z)".
func (b build) String() string {
	var parts []string
	if b.commit != "" {
		c := "commit " + b.commit[:min(12, len(b.commit))]
		if b.dirty {
			c += " with local changes"
		}
		parts = append(parts, c)
	}
	if b.date != "" {
		parts = append(parts, b.date)
	}
	if len(parts) == 0 {
		return b.version
	}
	return b.version + " (" + strings.Join(parts, ", ") + ")"
}

func (r *runner) newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Long:  "Print fwbatch's version, the commit it was built from and that commit's date (the same line as --version).",
		Args:  noArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) int {
			fmt.Fprintln(cmd.OutOrStdout(), "fwbatch "+cmd.Root().Version)
			return ExitOK
		}),
	}
}
