package sandbox

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/sandgate/sandgate/engine/hostpat"
	"github.com/sandgate/sandgate/policy"
	"github.com/sandgate/sandgate/state"
)

var testClasses = map[string]*policy.Class{"default": {Name: "default", Intercept: true}}

// boltRegistry is a registry over a bolt file and a seal key file in dir.
func boltRegistry(t *testing.T, dir string) *Registry {
	t.Helper()
	st, err := state.OpenBolt(filepath.Join(dir, "sandgate.db"), state.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seal, err := state.OpenKeyFile(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(testClasses)
	r.Store, r.Seal = st, seal
	return r
}

func TestRestartRestoresEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r := boltRegistry(t, dir)
	a, tokA, err := r.CreateContext(ctx, CreateRequest{ID: "a", SourceIP: netip.MustParseAddr("10.1.2.3"), Labels: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.CreateContext(ctx, CreateRequest{ID: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "gone", ""); err != nil {
		t.Fatal(err)
	}
	_, err = r.Update(ctx, "a", "", func(o *policy.Overrides) error {
		l := hostpat.List{hostpat.MustParse("*.example.com")}
		o.Allowed = &l
		o.Outbound = &policy.Binding{Handler: "inject_header", Params: map[string]any{"header": "X"}}
		o.RateLimit = &policy.RateLimit{Requests: 5, Per: 1e9, Burst: 5}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pemA, etagA := a.CA.CertPEM(), a.ETag()
	r.Store.Close()

	r2 := boltRegistry(t, dir)
	stats, err := r2.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Restored != 1 {
		t.Fatalf("restored %d sandboxes, want 1", stats.Restored)
	}
	if _, ok := r2.Get("gone"); ok {
		t.Error("a deleted sandbox came back")
	}
	b, ok := r2.Authenticate("a", tokA)
	if !ok {
		t.Fatal("the old token does not authenticate after a restart")
	}
	if !bytes.Equal(b.CA.CertPEM(), pemA) {
		t.Error("ca.pem differs after a restart")
	}
	if b.ETag() != etagA {
		t.Errorf("etag: got %s, want %s", b.ETag(), etagA)
	}
	if sb, ok := r2.BySource(netip.MustParseAddr("10.1.2.3")); !ok || sb != b {
		t.Error("source_ip lost")
	}
	o := b.Overrides()
	if o.Allowed == nil || !o.Allowed.Match("x.example.com", 443) || o.Outbound == nil || o.Outbound.Handler != "inject_header" {
		t.Errorf("overrides lost: %+v", o)
	}
	if o.RateLimit == nil || o.RateLimit.Requests != 5 {
		t.Errorf("rate limit lost: %+v", o.RateLimit)
	}
	if b.Labels["k"] != "v" || !b.Created.Equal(a.Created) {
		t.Errorf("labels or created time lost: %v %v", b.Labels, b.Created)
	}
	if _, err := b.CA.Leaf("example.com"); err != nil {
		t.Errorf("restored CA cannot mint: %v", err)
	}
}

func TestNoClearKeyAtRest(t *testing.T) {
	dir := t.TempDir()
	r := boltRegistry(t, dir)
	sb, _, err := r.CreateContext(context.Background(), CreateRequest{ID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var forms [][]byte
	_ = sb.CA.ExportKey(func(pkcs8 []byte) error {
		key, err := x509.ParsePKCS8PrivateKey(pkcs8)
		if err != nil {
			return err
		}
		ec := key.(*ecdsa.PrivateKey)
		sec1, _ := x509.MarshalECPrivateKey(ec)
		scalar, _ := ec.Bytes()
		forms = append(forms, bytes.Clone(pkcs8), sec1, scalar)
		return nil
	})
	if len(forms) != 3 {
		t.Fatal("could not export the key")
	}
	r.Store.Close()
	file, err := os.ReadFile(filepath.Join(dir, "sandgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, der := range forms {
		for _, enc := range [][]byte{der, []byte(base64.StdEncoding.EncodeToString(der)),
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})} {
			if bytes.Contains(file, enc) {
				t.Fatal("the bolt file holds a clear form of the CA key")
			}
		}
	}
	if bytes.Contains(file, []byte("PRIVATE KEY")) {
		t.Fatal("the bolt file holds a PEM private key")
	}
}

func TestWrongSealRefusedNothingChanged(t *testing.T) {
	dir := t.TempDir()
	r := boltRegistry(t, dir)
	if _, _, err := r.CreateContext(context.Background(), CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	r.Store.Close()
	before, _ := os.ReadFile(filepath.Join(dir, "sandgate.db"))
	if err := os.Remove(filepath.Join(dir, "seal.key")); err != nil {
		t.Fatal(err)
	}
	r2 := boltRegistry(t, dir) // makes a new, different key
	_, err := r2.Load(context.Background())
	if !errors.Is(err, state.ErrWrongKey) {
		t.Fatalf("got %v, want ErrWrongKey", err)
	}
	for _, want := range []string{"sandgate.db", "seal.key"} {
		if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	r2.Store.Close()
	after, _ := os.ReadFile(filepath.Join(dir, "sandgate.db"))
	if !bytes.Equal(before, after) {
		t.Error("the state file changed")
	}
}

// failing is a store whose writes fail, as an unreachable etcd does.
type failing struct{ state.Store }

func (failing) Create(context.Context, *state.Sandbox) (*state.Sandbox, error) {
	return nil, state.Unavailable(errors.New("no cluster"))
}
func (failing) Update(context.Context, string, func(*state.Sandbox) error) (*state.Sandbox, error) {
	return nil, state.Unavailable(errors.New("no cluster"))
}
func (failing) Delete(context.Context, string, func(*state.Sandbox) error) error {
	return state.Unavailable(errors.New("no cluster"))
}

func TestStoreFailureChangesNothing(t *testing.T) {
	r := NewRegistry(testClasses)
	ctx := context.Background()
	if _, _, err := r.CreateContext(ctx, CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	r.Store = failing{r.Store}
	if _, _, err := r.CreateContext(ctx, CreateRequest{ID: "b"}); !state.IsUnavailable(err) {
		t.Errorf("create: got %v, want unavailable", err)
	}
	if _, ok := r.Get("b"); ok {
		t.Error("a sandbox whose write failed is in memory")
	}
	_, err := r.Update(ctx, "a", "", func(o *policy.Overrides) error { o.Outbound = &policy.Binding{Handler: "x"}; return nil })
	if !state.IsUnavailable(err) {
		t.Errorf("update: got %v, want unavailable", err)
	}
	if sb, _ := r.Get("a"); sb.Overrides().Outbound != nil {
		t.Error("an update whose write failed was applied")
	}
	sb, _ := r.Get("a")
	if err := sb.UpdateOverrides(func(o *policy.Overrides) error { o.Outbound = &policy.Binding{Handler: "x"}; return nil }); !state.IsUnavailable(err) {
		t.Errorf("Sandbox.UpdateOverrides: got %v, want it to go through the store and fail", err)
	}
	if err := r.Delete(ctx, "a", ""); !state.IsUnavailable(err) {
		t.Errorf("delete: got %v, want unavailable", err)
	}
	if _, ok := r.Get("a"); !ok {
		t.Error("a delete whose write failed removed the sandbox")
	}
}

func TestIfMatch(t *testing.T) {
	r := NewRegistry(testClasses)
	ctx := context.Background()
	sb, _, err := r.CreateContext(ctx, CreateRequest{ID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	tag := sb.ETag()
	set := func(o *policy.Overrides) error { o.Denied = hostpat.List{hostpat.MustParse("x.example")}; return nil }
	if _, err := r.Update(ctx, "a", tag, set); err != nil {
		t.Fatalf("a current If-Match: %v", err)
	}
	if sb.ETag() == tag {
		t.Fatal("the ETag did not change with the sandbox")
	}
	if _, err := r.Update(ctx, "a", tag, set); !errors.Is(err, ErrStale) {
		t.Errorf("a stale If-Match on update: got %v, want ErrStale", err)
	}
	if err := r.Delete(ctx, "a", tag); !errors.Is(err, ErrStale) {
		t.Errorf("a stale If-Match on delete: got %v, want ErrStale", err)
	}
	if err := r.Delete(ctx, "a", sb.ETag()); err != nil {
		t.Errorf("a current If-Match on delete: %v", err)
	}
}

func TestUnknownClassSkippedAndKept(t *testing.T) {
	dir := t.TempDir()
	r := boltRegistry(t, dir)
	r.classes = map[string]*policy.Class{"default": testClasses["default"], "gpu": {Name: "gpu"}}
	if _, _, err := r.CreateContext(context.Background(), CreateRequest{ID: "g", Class: "gpu"}); err != nil {
		t.Fatal(err)
	}
	r.Store.Close()
	r2 := boltRegistry(t, dir)
	stats, err := r2.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Skipped) != 1 || stats.Restored != 0 {
		t.Errorf("got %+v, want g skipped", stats)
	}
	if recs, _ := r2.Store.Load(context.Background()); len(recs) != 1 {
		t.Error("the skipped record was not kept")
	}
}

// TestLateEventsDoNotResurrect: a fleet gateway may see a sandbox's
// deletion before the event of its creation is applied; the creation must
// not bring it back. A newer creation of the same id still comes in.
func TestLateEventsDoNotResurrect(t *testing.T) {
	r := NewRegistry(testClasses)
	ctx := context.Background()
	if _, _, err := r.CreateContext(ctx, CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	recs, _ := r.Store.Load(ctx)
	r.Apply(ctx, state.Event{Kind: state.SandboxDeleted, ID: "a"})
	r.Apply(ctx, state.Event{Kind: state.SandboxPut, Sandbox: recs[0]})
	if _, ok := r.Get("a"); ok {
		t.Fatal("a late creation event brought back a deleted sandbox")
	}
	other := NewRegistry(testClasses)
	other.Store, other.Seal = state.NewMemory(), r.Seal
	if _, _, err := other.CreateContext(ctx, CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	again, _ := other.Store.Load(ctx)
	r.Apply(ctx, state.Event{Kind: state.SandboxPut, Sandbox: again[0]})
	if _, ok := r.Get("a"); !ok {
		t.Fatal("a new creation of a deleted id was refused")
	}
}

// TestTamperedCertificateRefused: the sealed key is bound to its record's
// certificate, so a certificate changed at rest stops the load.
func TestTamperedCertificateRefused(t *testing.T) {
	r := NewRegistry(testClasses)
	ctx := context.Background()
	if _, _, err := r.CreateContext(ctx, CreateRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Store.Update(ctx, "a", func(rec *state.Sandbox) error {
		rec.CACert[len(rec.CACert)-1] ^= 1
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r2 := NewRegistry(testClasses)
	r2.Store, r2.Seal = r.Store, r.Seal
	if _, err := r2.Load(ctx); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}
