package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		live, roots, floor uint64
		want               int
	}{
		{0, 0, 32 * mb, 100},                    // nothing measured yet
		{4 * mb, 4 * mb, 32 * mb, 700},          // goal 4 + 4 x 7 = 32 MiB
		{4 * mb, 8 * mb, 32 * mb, 350},          // stacks and globals count: 4 + 8 x 3.5 = 32
		{1 * mb, 2 * mb, 32 * mb, gcMaxPercent}, // bounded: goal 21 MiB this time
		{16 * mb, 16 * mb, 32 * mb, 100},        // GOGC=100 reaches the floor
		{12 * mb, 18 * mb, 32 * mb, 111},
		{54 * mb, 56 * mb, 32 * mb, 100}, // a big gateway keeps GOGC=100
	} {
		got := gcPercent(tc.live, tc.roots, tc.floor)
		if got != tc.want {
			t.Errorf("gcPercent(%d, %d, %d) = %d, want %d", tc.live, tc.roots, tc.floor, got, tc.want)
		}
		if goal := tc.live + tc.roots*uint64(got)/100; got > 100 && got < gcMaxPercent && (goal < tc.floor-mb/10 || goal > tc.floor) {
			t.Errorf("live %d roots %d: GOGC %d gives a goal of %d, want about %d", tc.live, tc.roots, got, goal, tc.floor)
		}
	}
}

// currentGCPercent reads GOGC without changing it for long.
func currentGCPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestGCTunerRaisesGOGCAfterACollection(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	stop := startGCTuner(1 << 30)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for currentGCPercent() != gcMaxPercent {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d after collections, want %d for a 1 GiB floor", currentGCPercent(), gcMaxPercent)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if p := currentGCPercent(); p != 100 {
		t.Errorf("after stop: GOGC %d, want 100", p)
	}
}

func TestGCTunerLeavesAnOperatorsGOGC(t *testing.T) {
	t.Setenv("GOGC", "100")
	stop := startGCTuner(1 << 30)
	defer stop()
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p := currentGCPercent(); p != 100 {
		t.Errorf("with GOGC set: GOGC %d, want 100 untouched", p)
	}
}
