// Package cli parses fwbatch's command line and runs its subcommands.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fwbatch/fwbatch/internal/termsafe"
)

// Exit codes, as PRODUCT.md documents them.
const (
	ExitOK     = 0 // every item succeeded
	ExitFailed = 1 // some item failed
	ExitUsage  = 2 // usage or setup error
)

// Version is set at build time with -ldflags "-X github.com/fwbatch/fwbatch/cli.Version=…".
var Version = "dev"

// runner carries the process's streams and environment into the commands, so
// tests can run them in-process.
type runner struct {
	stdin          *os.File
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Main runs fwbatch with args (without the program name) and returns the exit code.
func Main(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	r := &runner{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return r.main(args)
}

// main dispatches to the command; tests call it with their own environment.
func (r *runner) main(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "submit":
			return r.submitCmd(args[1:])
		case "status":
			return r.statusCmd(args[1:])
		case "result":
			return r.resultCmd(args[1:])
		case "list":
			return r.listCmd(args[1:])
		case "version":
			fmt.Fprintln(r.stdout, "fwbatch", Version)
			return ExitOK
		case "help":
			return r.interactive([]string{"--help"})
		}
	}
	return r.interactive(args)
}

// fail prints one line to stderr and returns the exit code. The line is
// made safe for a terminal (termsafe): it names files and quotes servers.
func (r *runner) fail(code int, format string, args ...any) int {
	fmt.Fprintln(r.stderr, "fwbatch: "+termsafe.Line(fmt.Sprintf(format, args...)))
	return code
}

// parse parses args with fs, allowing flags after positional arguments
// (`fwbatch submit talk.flac --diarize`). "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a flag set whose errors and help go where fwbatch
// wants them: help to stdout (exit 0), errors as one line to stderr (exit 2).
func (r *runner) newFlagSet(name, usage, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(r.stdout, "Usage: %s\n\n", usage)
		fmt.Fprintln(r.stdout, "Flags:")
		fs.SetOutput(r.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if example != "" {
			fmt.Fprintf(r.stdout, "\nExample:\n  %s\n", strings.ReplaceAll(example, "\n", "\n  "))
		}
	}
	return fs
}

// parseOrExit parses flags; ok is false when the command should return code
// at once (help was shown, or the flags were wrong).
func (r *runner) parseOrExit(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if n := strings.TrimLeft(a, "-"); a != n && (strings.HasPrefix(n, "api-key") || strings.HasPrefix(n, "key")) {
			return nil, r.fail(ExitUsage, "the API key is never taken as a flag (it would show in ps and shell history): set FIREWORKS_API_KEY instead"), false
		}
	}
	// The flag package calls Usage on every parse error and on -h; the help
	// text is wanted only for -h, once, and an error is one line.
	usage := fs.Usage
	fs.Usage = func() {}
	pos, err := parse(fs, args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return nil, ExitOK, false
	case err != nil:
		help := "fwbatch " + fs.Name() + " --help"
		if fs.Name() == "fwbatch" {
			help = "fwbatch --help"
		}
		return nil, r.fail(ExitUsage, "%v (see `%s`)", err, help), false
	}
	return pos, 0, true
}
