// Command fwbatch submits audio files to the Fireworks audio batch API and
// keeps track of every batch job until its transcript is saved.
package main

import (
	"os"

	"github.com/fwbatch/fwbatch/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
