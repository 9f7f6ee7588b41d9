// Package proc reads a process tree's CPU time and memory from /proc: a
// proxy under test is its main process and every descendant (Squid's
// helpers, for one), so both are summed over the tree.
package proc
