// Package proxy is sandgate's data plane: the explicit proxy listener served
// by martian, sandbox identity, per-sandbox TLS interception, the decision
// order of CONTRACT section 2, the address guard and forwarding.
//
// martian fails open (a request modifier's error is logged and the request
// forwarded anyway), so no decision is made in a martian modifier: every
// request goes through Server.RoundTrip, which either returns a response it
// built itself or forwards. The only modifier hijacks CONNECT requests, so
// that martian never dials a CONNECT target on its own.
package proxy
