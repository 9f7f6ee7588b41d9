package proc

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       stat
	}{
		{name: "plain", line: "42 (squid) S 7 42 42 0 -1 4194560 100 0 0 0 150 25 3 4 20 0 1 0 100 0 0",
			want: stat{ppid: 7, own: 175, ticks: 182, sys: 29}},
		{name: "name with spaces and parens", line: "9 (a (b) c) R 1 9 9 0 -1 0 0 0 0 0 10 20 30 40 20 0 1 0 1 0 0",
			want: stat{ppid: 1, own: 30, ticks: 100, sys: 60}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.line))
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := parseStat([]byte("1 (x) S 0")); err == nil {
		t.Error("a short line: got no error")
	}
}

func TestTreeHoldsChildren(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	tree := Tree(os.Getpid())
	if !slices.Contains(tree, cmd.Process.Pid) || tree[0] != os.Getpid() {
		t.Fatalf("got tree %v, want it to start with %d and hold child %d", tree, os.Getpid(), cmd.Process.Pid)
	}
	if m := Mem(os.Getpid()); m.RSS == 0 || m.HWM < m.RSS/2 {
		t.Errorf("got memory %+v, want RSS and HWM of this process", m)
	}
}
