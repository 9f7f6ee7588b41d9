// Package proxy is sandgate's data plane: the explicit proxy listener,
// sandbox identity on each request, per-sandbox TLS interception, the
// decision order (docs/config.md and the README say what it is), the
// address guard, forwarding, and the protocols a sandbox speaks: HTTP/1.1
// (served by martian), HTTP/2 (net/http's server), WebSocket and raw TCP
// tunnels.
//
// martian fails open (a request modifier's error is logged and the request
// forwarded anyway), so no decision is made in a martian modifier: every
// request goes through one decision path, exchange, which either returns a
// response it built itself or forwards. The only modifier hijacks CONNECT
// requests, so that martian never dials a CONNECT target on its own.
//
// Every byte of an HTTP/1.1 stream passes the framer of package wire before
// martian's parser sees it: it bounds and checks each request head.
package proxy
