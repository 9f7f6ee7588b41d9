package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sandgate/sandgate/secrets"
)

// Options configures an Engine. Zero values get the documented defaults.
type Options struct {
	// Dir is the scripts directory; handler names are the stems of its *.lua files.
	Dir string
	// HandlerTimeout bounds the Lua time of one call (default 250ms). Time spent
	// waiting in fetch or secrets.get does not count against it.
	HandlerTimeout time.Duration
	// MaxBodyBytes caps req:body() and res:body() (default 10 MiB).
	MaxBodyBytes int64
	// MaxStringBytes caps any string a script builds (default 16 MiB).
	MaxStringBytes int
	// Transport sends fetch(req) and fetch{...}. It is the proxy's upstream
	// transport, which applies the address guard. If nil, fetch raises an error.
	Transport http.RoundTripper
	// Secrets serves secrets.get. If nil, secrets.get raises an error.
	Secrets secrets.Store
	// Logger receives log.info/warn/error and print from scripts, with
	// secrets redacted. Handler errors are returned, not logged. If nil,
	// slog.Default() is used.
	Logger *slog.Logger
	// MaxMemory is the heap size past which running handler calls are
	// stopped with ErrMemoryLimit (default 1 GiB; Engine.Stats counts them).
	MaxMemory int64
	// HandlerConcurrency caps one sandbox's handler calls running Lua at
	// once; more wait within their time limit, then fail with ErrNoSlot
	// (default GOMAXPROCS).
	HandlerConcurrency int
}

// Call is one handler invocation.
type Call struct {
	Handler   string
	Params    any // decoded JSON (map[string]any, []any, string, float64, bool, nil)
	Request   *http.Request
	SandboxID string
	Class     string
	Labels    map[string]string
	RequestID string
	// RateLimit serves ratelimit.take with the sandbox's own buckets. If
	// nil, ratelimit.take raises an error.
	RateLimit RateLimiter
}

// RateLimiter is a sandbox's named token buckets (ratelimit.Buckets).
type RateLimiter interface {
	// Take takes one token from bucket key, made with the given rate (per
	// second) and burst on first use, and reports whether there was one.
	Take(key string, perSecond float64, burst int) (bool, error)
}

// Result is what a handler produced: either a response for the sandbox or a deny.
type Result struct {
	// Response is sent to the sandbox as is; its Body streams when the script
	// did not read it. Nil when Deny is true.
	Response *http.Response
	// Deny is set when the handler returned deny([reason]).
	Deny bool
	// Reason is the deny reason ("handler" when the script gave none).
	Reason string
	// Fetched reports whether the response came from an upstream (fetch) rather
	// than from response{}.
	Fetched bool
	// Secrets are the values the call read with secrets.get or passed to
	// secrets.protect. The proxy scrubs them from what the sandbox receives.
	Secrets []string
}

// HandlerError is a handler that failed: Lua error, time-out, bad return value,
// missing secret, panic. Err's text has every secret value read during the call
// replaced by [redacted]; it is for the server's log, never for the sandbox.
type HandlerError struct {
	Handler string
	Err     error
	// Timeout is set when the handler was stopped at its time limit.
	Timeout bool
}

func (e *HandlerError) Error() string { return fmt.Sprintf("handler %s: %v", e.Handler, e.Err) }
func (e *HandlerError) Unwrap() error { return e.Err }

// FetchError is an uncaught failure of fetch: the proxy maps Err (an address
// refusal or an upstream failure) as if it had forwarded the request itself.
type FetchError struct {
	Handler string
	Err     error
}

func (e *FetchError) Error() string { return fmt.Sprintf("handler %s: fetch: %v", e.Handler, e.Err) }
func (e *FetchError) Unwrap() error { return e.Err }

// Binding is a handler bound somewhere, with its params, for the checks of
// Put and ReloadBound: a new script set whose declared params a binding in
// use breaks is refused.
type Binding struct {
	// Where names the binding in errors: "class default outbound",
	// "sandbox sb1 outbound-by-host api.github.com".
	Where   string
	Handler string
	Params  any // decoded JSON, as in Call.Params
}

// ErrUnknownHandler is returned by Run for a name the snapshot does not hold.
var ErrUnknownHandler = errors.New("engine: unknown handler")

// Runner is the part of a Snapshot the proxy depends on.
type Runner interface {
	Run(ctx context.Context, call *Call) (Result, error)
	Has(name string) bool
}
