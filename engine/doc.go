// Package engine runs sandgate's Lua policy handlers: it compiles the scripts
// directory into an immutable Snapshot that is swapped atomically on reload,
// keeps a pool of sandboxed Lua states, and exposes the handler API that
// docs/lua-api.md describes (req, fetch, response, deny, ctx, secrets,
// ratelimit, log, json, hosts), with params a script may declare.
//
// A handler call fails closed: any Lua error, time-out, bad return value or
// panic is a *HandlerError, whose text, like every log line of a script,
// has every secret value its Lua state was ever handed replaced by
// [redacted] (a script may keep one between calls).
//
// Calls run under two engine-wide limits: a sandbox's calls run Lua in at
// most Options.HandlerConcurrency slots at once, and a watchdog stops every
// running call when the heap passes Options.MaxMemory (Engine.Stats counts
// both). The package knows nothing of the proxy, martian or Vault; it
// reaches the network only through Options.Transport.
package engine
