// Command cunyou-hub is the county hub. This build knows the sync contract
// (syncproto) it will merge; `cunyou-hub version` reports which.
package main

import (
	"fmt"
	"io"
	"os"

	"cunyou/syncproto"
)

// version is stamped by the Makefile.
var version = "dev"

const usage = `cunyou-hub — 村邮 county hub

Usage: cunyou-hub COMMAND

Commands:
  version   print the version and the sync envelope version it reads
  help      show this help
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cunyou-hub:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "cunyou-hub", version, "envelope", syncproto.EnvelopeVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
