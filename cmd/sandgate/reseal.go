package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/state"
)

const stateUsage = `Usage: sandgate state reseal -config FILE -new-key FILE

Re-seals every stored CA key under a new seal key: each key is opened with
the seal the config names (state.seal: key_file or vault_transit) and sealed
again with the AES-256 key in -new-key (32 random bytes; created, mode 0600,
when the file does not exist). With backend bolt it is one transaction: all
keys or none. Stop the gateway first (bolt refuses a file in use; in an etcd
fleet, stop every gateway), then set state.seal.key_file to the new file
(and remove vault_transit) before starting again.
`

func stateCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "reseal" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, stateUsage)
			return 0
		}
		fmt.Fprint(stderr, stateUsage)
		return 2
	}
	fs := flag.NewFlagSet("sandgate state reseal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "path to the YAML config file (required)")
	newKey := fs.String("new-key", "", "the new seal key file (required; created if missing)")
	fs.Usage = func() { fmt.Fprint(stderr, stateUsage+"\nFlags:\n"); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *cfgPath == "" || *newKey == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	n, err := reseal(ctx, *cfgPath, *newKey, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "sandgate: state reseal:", err)
		return 1
	}
	fmt.Fprintf(stdout, "resealed %d sandbox keys; now set state.seal.key_file: %s\n", n, *newKey)
	return 0
}

func reseal(ctx context.Context, cfgPath, newKey string, stdout io.Writer) (int, error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return 0, err
	}
	if cfg.State.Backend == "memory" {
		return 0, errors.New("state.backend is memory: nothing is stored to reseal")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	parts, err := openState(ctx, cfg, log, nil)
	if err != nil {
		return 0, err
	}
	defer parts.close()
	to, err := state.OpenKeyFile(newKey)
	if err != nil {
		return 0, err
	}
	from := parts.seal
	fmt.Fprintf(stdout, "resealing %s: from %s to %s\n", parts.store.Describe(), from.Describe(), to.Describe())
	return parts.store.UpdateAll(ctx, func(sb *state.Sandbox) error {
		if key, err := to.Open(ctx, sb.CAKey, sb.SealAAD()); err == nil {
			clear(key) // resealed by an earlier, interrupted run
			return nil
		}
		key, err := from.Open(ctx, sb.CAKey, sb.SealAAD())
		if err != nil {
			return fmt.Errorf("sandbox %s: %w", sb.ID, err)
		}
		defer clear(key)
		blob, err := to.Seal(ctx, key, sb.SealAAD())
		if err != nil {
			return fmt.Errorf("sandbox %s: %w", sb.ID, err)
		}
		sb.CAKey = blob
		return nil
	})
}
