// Package cli is fwbatch's command line: its commands and flags (cobra),
// their help, errors, version, completions and man page (styled by fang),
// and the wiring of the UI and the API client to the history and config.
//
// Each command is one small file (newXxxCmd beside the code it runs); the
// submission flags are registered by optionFlags.register, and the values
// flags complete from are the table flagValues.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"

	"github.com/fwbatch/fwbatch/internal/termsafe"
)

// Exit codes, as PRODUCT.md documents them.
const (
	ExitOK     = 0 // every item succeeded
	ExitFailed = 1 // some item failed
	ExitUsage  = 2 // usage or setup error
)

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

// main runs one command line and returns its exit code; tests call it with
// their own environment and streams.
func (r *runner) main(args []string) int {
	root := r.newRootCmd()
	root.SetArgs(args)
	err := fang.Execute(context.Background(), root,
		fang.WithVersion(buildInfo().String()),
		fang.WithoutManpage(), // ours writes where the command's output goes, and is listed
		fang.WithErrorHandler(r.printError),
	)
	var code exitCode
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &code):
		return int(code)
	}
	return ExitUsage // cobra's errors are all about the command line
}

// exitCode is how a command that printed its own errors tells main which
// code to exit with.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// run adapts a command body that prints its own errors and returns an
// exit code to cobra.
func run(body func(cmd *cobra.Command, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if code := body(cmd, args); code != ExitOK {
			return exitCode(code)
		}
		return nil
	}
}

// printError prints a command-line error (a flag or argument cobra
// refused): one line, like every fwbatch error, so that scripts can read
// it; on a terminal it wears fang's error badge.
func (r *runner) printError(w io.Writer, styles fang.Styles, err error) {
	if errors.As(err, new(exitCode)) {
		return // the command has said what went wrong
	}
	if isTerminal(r.stderr) {
		fmt.Fprintln(w, styles.ErrorHeader.UnsetMargins().String()+" "+err.Error())
		return
	}
	fmt.Fprintln(w, "fwbatch: "+err.Error())
}

// fail prints one line to stderr and returns the exit code. The line is
// made safe for a terminal (termsafe): it names files and quotes servers.
func (r *runner) fail(code int, format string, args ...any) int {
	fmt.Fprintln(r.stderr, "fwbatch: "+termsafe.Line(fmt.Sprintf(format, args...)))
	return code
}
