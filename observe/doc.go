// Package observe turns the proxy's decision records into what operators
// watch: the audit log (one JSON line per request or tunnel, through
// log/slog), Prometheus metrics on a registry of their own, and a live
// event stream with bounded, non-blocking delivery to each subscriber.
//
// Nothing here can slow the proxy down beyond a counter update, a log
// write and a non-blocking channel send per request, and nothing here ever
// sees a header value, a query string or a secret: a proxy.Record does
// not carry them.
package observe
