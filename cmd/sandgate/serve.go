package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sandgate/sandgate/admin"
	"github.com/sandgate/sandgate/config"
	"github.com/sandgate/sandgate/engine"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/proxy"
	"github.com/sandgate/sandgate/sandbox"
	"github.com/sandgate/sandgate/state"
)

func serveCmd(args []string, stdout, stderr io.Writer) int {
	path, code, ok := configFlag("serve",
		"Runs the gateway: the explicit proxy on proxy.listen and the admin API on admin.listen.\n"+
			"SIGHUP reloads the scripts directory; SIGTERM or SIGINT shuts down gracefully\n"+
			"(in-flight requests get proxy.shutdown_timeout to finish).\n"+
			"The admin token comes from SANDGATE_ADMIN_TOKEN or admin.token_file (created with a\n"+
			"random token if it does not exist).", args, stderr)
	if !ok {
		return code
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := newLogger(cfg, stderr)
	defer startGCTuner(gcHeapFloor)()
	setMemoryLimit(cfg.Limits.MaxMemory.Bytes)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	g, err := build(ctx, cfg, log, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "sandgate:", err)
		return 1
	}
	defer g.close()
	if err := g.run(ctx); err != nil {
		log.Error("gateway stopped", "err", err.Error())
		return 1
	}
	return 0
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// gateway is a running sandgate: everything serve wires together.
type gateway struct {
	cfg     *config.Config
	log     *slog.Logger
	eng     *engine.Engine
	reg     *sandbox.Registry
	srv     *proxy.Server
	api     *admin.API
	obs     *observers
	state   *stateParts
	fleet   *fleet // nil unless the state store is shared (etcd)
	closers []func()
	proxyLn net.Listener
	adminLn net.Listener
	transLn net.Listener // nil unless proxy.transparent_listen is set
}

func build(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) (*gateway, error) {
	g := &gateway{cfg: cfg, log: log}
	token, err := adminToken(cfg, log)
	if err != nil {
		return nil, err
	}
	store, flush, backend, err := openSecrets(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, backend.close)
	guard := &proxy.Guard{Allow: cfg.AllowPrefixes(), DialTimeout: cfg.Upstream.DialTimeout.Duration}
	transport, err := proxy.NewTransport(proxy.UpstreamOptions{Guard: guard, CAFiles: cfg.Upstream.CAFiles,
		ResponseHeaderTimeout: cfg.Upstream.ResponseHeaderTimeout.Duration,
		IdleConnTimeout:       cfg.Upstream.IdleConnTimeout.Duration, MaxIdleConnsPerHost: cfg.Upstream.MaxIdleConnsPerHost})
	if err != nil {
		return nil, err
	}
	g.eng, err = loadScripts(cfg, engine.Options{Transport: transport, Secrets: store, Logger: log})
	if err != nil {
		return nil, err
	}
	classes, err := policy.Classes(cfg)
	if err != nil {
		return nil, err
	}
	g.reg = sandbox.NewRegistry(classes)
	g.reg.MaxRatelimitKeys = cfg.Limits.MaxRatelimitKeys
	obs, err := newObservers(cfg, stdout, store, log, g.reg.Len, func() int64 { return g.srv.OpenConns() },
		func() (uint64, uint64) { st := g.eng.Stats(); return st.MemoryStops, st.SlotTimeouts })
	if err != nil {
		return nil, err
	}
	g.obs = obs
	g.closers = append(g.closers, obs.close)
	g.reg.NewCA, g.reg.RestoreCA, g.reg.Logger = obs.newCA, obs.restoreCA, log
	if err := g.openState(ctx); err != nil {
		return nil, err
	}
	g.srv = proxy.New(proxyOptions(cfg, proxy.Options{Registry: g.reg, Engine: func() engine.Runner { return g.eng.Snapshot() },
		Transport: transport, Guard: guard, Logger: log, Observe: obs.observe,
		AuditOK: obs.auditOK, OnAuthFailure: obs.metrics.AuthFailure, OnRefused: obs.metrics.Refused,
		OnConnError: obs.metrics.ConnError}))
	if g.proxyLn, err = net.Listen("tcp", cfg.Proxy.Listen); err != nil {
		return nil, fmt.Errorf("proxy.listen %s: %w", cfg.Proxy.Listen, err)
	}
	if cfg.Proxy.TransparentListen != "" {
		if g.transLn, err = net.Listen("tcp", cfg.Proxy.TransparentListen); err != nil {
			g.proxyLn.Close()
			return nil, fmt.Errorf("proxy.transparent_listen %s: %w", cfg.Proxy.TransparentListen, err)
		}
		fmt.Fprintf(stdout, "transparent proxy on %s\n", g.transLn.Addr())
	}
	if g.adminLn, err = net.Listen("tcp", cfg.Admin.Listen); err != nil {
		g.proxyLn.Close()
		return nil, fmt.Errorf("admin.listen %s: %w", cfg.Admin.Listen, err)
	}
	guard.Self = listenAddrs(g.proxyLn, g.transLn, g.adminLn)
	g.api = admin.New(admin.Options{Token: token, Registry: g.reg, Scripts: g.scripts(),
		Flush: flush, ProxyAddr: advertised(g.proxyLn.Addr().String()), ClassBindings: classBindings(cfg),
		Status: func() map[string]any { return g.statusFields(backend.name) }, Logger: log,
		Extra: obs.routes, OnReload: obs.metrics.Reload})
	fmt.Fprintf(stdout, "sandgate %s: proxy on %s, admin API on %s, secrets backend %s, %d scripts\n",
		version, g.proxyLn.Addr(), g.adminLn.Addr(), backend.name, len(g.eng.Snapshot().Names()))
	return g, nil
}

// proxyOptions fills in the proxy's limits from the config.
func proxyOptions(cfg *config.Config, o proxy.Options) proxy.Options {
	p := cfg.Proxy
	o.IdleTimeout, o.TunnelIdleTimeout = p.IdleTimeout.Duration, p.TunnelIdleTimeout.Duration
	o.HeaderTimeout, o.MaxHeaderBytes = p.HeaderTimeout.Duration, int(p.MaxHeaderBytes.Bytes)
	o.MaxConns, o.MaxPendingConns = p.MaxConns, p.MaxPendingConns
	o.H2MaxConcurrentStreams = p.H2MaxConcurrentStreams
	o.H2StreamWindow, o.H2ConnWindow = int(p.H2StreamWindow.Bytes), int(p.H2ConnWindow.Bytes)
	o.AuditRequired = cfg.Log.AuditRequired
	return o
}

func (g *gateway) statusFields(backend string) map[string]any {
	snap := g.eng.Snapshot()
	out := map[string]any{"version": version, "secrets_backend": backend,
		"scripts_sha256": snap.Hash(), "open_connections": g.srv.OpenConns(),
		"proxy_addr": advertised(g.proxyLn.Addr().String())}
	out["node"], out["state"] = nodeName(g.cfg), g.state.store.Health()
	return out
}

// openState opens the state store and seal and restores every stored
// sandbox; a seal that cannot open them stops the start.
func (g *gateway) openState(ctx context.Context) error {
	parts, err := openState(ctx, g.cfg, g.log, g.obs.metrics)
	if err != nil {
		return err
	}
	g.state = parts
	g.closers = append(g.closers, parts.close)
	g.reg.Store, g.reg.Seal = parts.store, parts.seal
	start := time.Now()
	stats, err := g.reg.Load(ctx)
	if err != nil {
		return err
	}
	g.log.Info("state loaded", "backend", g.cfg.State.Backend, "store", parts.store.Describe(),
		"sandboxes", stats.Restored, "skipped", len(stats.Skipped), "took", time.Since(start).String())
	if ss, ok := parts.store.(state.ScriptStore); ok {
		g.fleet = &fleet{cfg: g.cfg, log: g.log, reg: g.reg, eng: g.eng, scripts: ss, metrics: g.obs.metrics}
		return g.fleet.seedScripts(ctx)
	}
	return nil
}

// scripts is the admin API's view of the scripts: the engine and
// scripts_dir, or in a fleet the shared set.
func (g *gateway) scripts() admin.Scripts {
	if g.fleet != nil {
		return fleetScripts{scriptsAdapter{g.eng}, g.fleet}
	}
	return scriptsAdapter{g.eng}
}

// run serves until ctx ends, reloading scripts on SIGHUP.
func (g *gateway) run(ctx context.Context) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	adminSrv := &http.Server{Handler: g.api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 3)
	go func() { errc <- g.srv.Serve(g.proxyLn) }()
	if g.transLn != nil {
		go func() { errc <- g.srv.ServeTransparent(g.transLn) }()
	}
	go func() {
		if err := adminSrv.Serve(g.adminLn); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	if w, ok := g.state.store.(state.Watcher); ok && g.fleet != nil {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go g.fleet.follow(wctx, w)
	}
	g.log.Info("sandgate started", "proxy", g.proxyLn.Addr().String(), "admin", g.adminLn.Addr().String(), "version", version)
	for {
		select {
		case <-hup:
			g.log.Info("SIGHUP: reloading scripts")
			_ = g.api.Reload()
		case err := <-errc:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return g.shutdown(adminSrv)
		}
	}
}

func (g *gateway) shutdown(adminSrv *http.Server) error {
	timeout := g.cfg.Proxy.ShutdownTimeout.Duration
	g.log.Info("shutting down: finishing in-flight requests", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := g.srv.Shutdown(ctx)
	g.obs.events.Close() // event streams end, so the admin server can stop
	_ = adminSrv.Shutdown(ctx)
	if err != nil {
		g.log.Warn("shutdown time-out: closed the remaining connections", "err", err.Error())
	}
	g.log.Info("sandgate stopped")
	return nil
}

func (g *gateway) close() {
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}

// advertised is the proxy address sandboxes are told to use.
func advertised(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// classBindings lists the config's bindings with their params.
func classBindings(cfg *config.Config) []engine.Binding {
	var out []engine.Binding
	for name, c := range cfg.Classes {
		if c.Outbound != nil {
			out = append(out, engine.Binding{Where: "class " + name + " outbound",
				Handler: c.Outbound.Handler, Params: config.JSONParams(c.Outbound.Params)})
		}
		for p, b := range c.OutboundByHost {
			out = append(out, engine.Binding{Where: "class " + name + " outbound_by_host " + p,
				Handler: b.Handler, Params: config.JSONParams(b.Params)})
		}
	}
	return out
}

// listenAddrs are the addresses of sandgate's own listeners (nil ones skipped).
func listenAddrs(lns ...net.Listener) []netip.AddrPort {
	var out []netip.AddrPort
	for _, l := range lns {
		if l == nil {
			continue
		}
		if ta, ok := l.Addr().(*net.TCPAddr); ok {
			out = append(out, ta.AddrPort())
		}
	}
	return out
}
