package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// grpcService is a gRPC upstream of all four call kinds that records the
// authorization metadata of every call.
type grpcService struct {
	testpb.UnimplementedTestServiceServer
	mu    sync.Mutex
	auths []string
}

func (s *grpcService) note(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.auths = append(s.auths, strings.Join(md.Get("authorization"), ","))
	s.mu.Unlock()
}

func (s *grpcService) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

func (s *grpcService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	s.note(ctx)
	return &testpb.SimpleResponse{Payload: req.GetPayload()}, nil
}

func (s *grpcService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, st grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	s.note(st.Context())
	for _, p := range req.GetResponseParameters() {
		body := make([]byte, p.GetSize())
		if err := st.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: body}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *grpcService) StreamingInputCall(st grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	s.note(st.Context())
	total := 0
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return st.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(req.GetPayload().GetBody())
	}
}

func (s *grpcService) FullDuplexCall(st grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	s.note(st.Context())
	for {
		req, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := st.Send(&testpb.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
}

// startGRPC serves the test service over TLS (a certificate of ca) on 127.0.0.1.
func startGRPC(t *testing.T, ca *upstreamCA) (*grpcService, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc := &grpcService{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{ca.serverCert(t)}})))
	testpb.RegisterTestServiceServer(srv, svc)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return svc, ln.Addr().String()
}

// grpcClient dials target through the gateway as sb, trusting sb's CA.
func grpcClient(t *testing.T, g *gateway, sb *sandbox, target string) testpb.TestServiceClient {
	t.Helper()
	host, _, _ := net.SplitHostPort(target)
	conn, err := grpc.NewClient("passthrough:///"+target,
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return connectThrough(ctx, g, sb, addr) }),
		grpc.WithTransportCredentials(credentials.NewTLS(sandboxTLS(t, sb, host))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

const grpcClasses = `  default:
    allowed_hosts: ["127.0.0.1"]
  closed:
    allowed_hosts: ["example.com"]
  limited:
    allowed_hosts: ["127.0.0.1"]
    rate_limit: { requests: 1, per: 1h, burst: 3 }
`

// TestGRPCThroughHandler: all four gRPC call kinds pass an intercepted
// tunnel over HTTP/2 both ways, through a handler that adds authorization
// metadata from the secrets backend.
func TestGRPCThroughHandler(t *testing.T) {
	ca := newUpstreamCA(t)
	svc, target := startGRPC(t, ca)
	g := startGateway(t, gatewayConfig{Classes: grpcClasses, CAFiles: []string{ca.PEMFile},
		Secrets: map[string]map[string]string{"sandboxes/rpc": {"grpc_token": "grpc-secret-0042"}}})
	sb := g.createSandbox(map[string]any{"id": "rpc"})
	bind(g, "rpc", target, "inject_header", map[string]any{"header": "authorization",
		"secret": "sandboxes/{sandbox_id}", "field": "grpc_token", "prefix": "Bearer "})
	client := grpcClient(t, g, sb, target)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	res, err := client.UnaryCall(ctx, &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("ping")}})
	if err != nil || string(res.GetPayload().GetBody()) != "ping" {
		t.Fatalf("unary: got %v, %v; want ping", res, err)
	}
	out, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 10}, {Size: 20}, {Size: 30}}})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for {
		m, err := out.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("server streaming: %v", err)
		}
		sizes = append(sizes, len(m.GetPayload().GetBody()))
	}
	if len(sizes) != 3 || sizes[2] != 30 {
		t.Errorf("server streaming: got sizes %v, want [10 20 30]", sizes)
	}
	in, err := client.StreamingInputCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{5, 6, 7} {
		if err := in.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: make([]byte, n)}}); err != nil {
			t.Fatal(err)
		}
	}
	agg, err := in.CloseAndRecv()
	if err != nil || agg.GetAggregatedPayloadSize() != 18 {
		t.Fatalf("client streaming: got %v, %v; want 18", agg, err)
	}
	// Bidirectional: each message comes back before the next is sent, so
	// the request body cannot have been buffered whole.
	bidi, err := client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"one", "two", "three"} {
		if err := bidi.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte(word)}}); err != nil {
			t.Fatal(err)
		}
		m, err := bidi.Recv()
		if err != nil || string(m.GetPayload().GetBody()) != word {
			t.Fatalf("bidi: got %v, %v; want %s", m, err, word)
		}
	}
	_ = bidi.CloseSend()
	if _, err := bidi.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("bidi end: got %v, want EOF", err)
	}
	for i, a := range svc.seen() {
		if a != "Bearer grpc-secret-0042" {
			t.Errorf("call %d: upstream got authorization of %d bytes, want the injected token", i, len(a))
		}
	}
	if n := len(svc.seen()); n != 4 {
		t.Errorf("upstream saw %d calls, want 4", n)
	}
	a := waitAudit(t, g, "a gRPC call", func(a auditLine) bool { return a.str("path") == "/grpc.testing.TestService/FullDuplexCall" })
	if a.str("protocol") != "h2" || a.str("decision") != "handler" || a.num("status") != 200 {
		t.Errorf("got audit line %v, want protocol h2, decision handler, status 200", a)
	}
}

// TestGRPCDenyAndRateLimit: a denied call gets PERMISSION_DENIED and one
// over the sandbox's rate RESOURCE_EXHAUSTED, as trailers-only answers.
func TestGRPCDenyAndRateLimit(t *testing.T) {
	ca := newUpstreamCA(t)
	svc, target := startGRPC(t, ca)
	g := startGateway(t, gatewayConfig{Classes: grpcClasses, CAFiles: []string{ca.PEMFile}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	closed := grpcClient(t, g, g.createSandbox(map[string]any{"id": "closed", "class": "closed"}), target)
	_, err := closed.UnaryCall(ctx, &testpb.SimpleRequest{})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != "egress denied: not_in_allowed_hosts" {
		t.Errorf("denied call: got %v %q, want PermissionDenied \"egress denied: not_in_allowed_hosts\"", st.Code(), st.Message())
	}

	// The CONNECT takes the first token, two calls the rest.
	limited := grpcClient(t, g, g.createSandbox(map[string]any{"id": "limited", "class": "limited"}), target)
	for i := range 2 {
		if _, err := limited.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	_, err = limited.UnaryCall(ctx, &testpb.SimpleRequest{})
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "rate_limited") {
		t.Errorf("call over the rate: got %v %q, want ResourceExhausted naming rate_limited", st.Code(), st.Message())
	}
	if n := len(svc.seen()); n != 2 {
		t.Errorf("upstream saw %d calls, want 2 (the refused ones never left)", n)
	}
	a := waitAudit(t, g, "the rate-limited call", func(a auditLine) bool { return a.str("reason") == "rate_limited" })
	if a.str("sandbox") != "limited" || a.str("decision") != "deny" {
		t.Errorf("got %v, want a deny of sandbox limited", a)
	}
}
