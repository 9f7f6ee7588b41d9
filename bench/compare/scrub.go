package main

import (
	"debug/elf"
	"strings"
)

// scrubPkg is the package that scrubs secret values from responses.
const scrubPkg = "github.com/sandgate/sandgate/scrub"

// scrubLinked says whether the binary holds package scrub, from its symbol
// table: a binary built before the scrubber landed (or without it wired
// in, which leaves the package out) says no.
func scrubLinked(bin string) bool { return links(bin, scrubPkg) }

// links says whether the ELF binary has a symbol of package pkg; false if
// it cannot be read.
func links(bin, pkg string) bool {
	f, err := elf.Open(bin)
	if err != nil {
		return false
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return false
	}
	for _, s := range syms {
		if strings.HasPrefix(s.Name, pkg+".") {
			return true
		}
	}
	return false
}
