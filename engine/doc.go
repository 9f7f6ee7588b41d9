// Package engine runs sandgate's Lua policy handlers: it compiles the scripts
// directory into an immutable Snapshot that is swapped atomically on reload,
// keeps a pool of sandboxed Lua states, and exposes the handler API that
// docs/lua-api.md describes (req, fetch, response, deny, ctx, secrets,
// ratelimit, log, json, hosts), with params a script may declare.
//
// A handler call fails closed: any Lua error, time-out, bad return value or
// panic is a *HandlerError, whose text has every secret read during the call
// replaced by [redacted]. The package knows nothing of the proxy, martian or
// Vault; it reaches the network only through Options.Transport.
package engine
