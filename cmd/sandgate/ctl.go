package main

import (
	"fmt"
	"io"
)

func ctlCmd(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sandgate ctl: not built yet")
	return 2
}
