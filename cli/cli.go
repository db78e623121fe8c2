// Package cli parses fwbatch's command line and runs its subcommands.
package cli

import (
	"fmt"
	"io"
	"os"
)

// Exit codes, as PRODUCT.md documents them.
const (
	ExitOK     = 0 // every item succeeded
	ExitFailed = 1 // some item failed
	ExitUsage  = 2 // usage or setup error
)

// Version is set at build time with -ldflags "-X github.com/fwbatch/fwbatch/cli.Version=…".
var Version = "dev"

// Main runs fwbatch with args (without the program name) and returns the exit code.
func Main(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, "fwbatch", Version)
			return ExitOK
		}
	}
	fmt.Fprintln(stderr, "fwbatch: the interactive UI is not built yet; try `fwbatch version`")
	return ExitUsage
}
