package ca

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLeafCertificate(t *testing.T) {
	clock := &fakeClock{t: epoch}
	a := newAuthority(t, Options{Now: clock.Now, LeafValidity: 24 * time.Hour})
	tests := []struct {
		name   string
		host   string
		dns    []string
		ip     string
		verify string
	}{
		{name: "dns", host: "API.Example.com.", dns: []string{"api.example.com"}, verify: "api.example.com"},
		{name: "ipv4", host: "10.1.2.3", ip: "10.1.2.3", verify: "10.1.2.3"},
		{name: "ipv6 brackets", host: "[2001:DB8::1]", ip: "2001:db8::1", verify: "2001:db8::1"},
		{name: "ipv4 mapped", host: "::ffff:10.1.2.3", ip: "10.1.2.3", verify: "10.1.2.3"},
	}
	roots := x509.NewCertPool()
	roots.AddCert(a.Certificate())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := a.Leaf(tc.host)
			if err != nil {
				t.Fatal(err)
			}
			l := c.Leaf
			if !slices.Equal(l.DNSNames, tc.dns) {
				t.Errorf("got DNS SANs %q, want %q", l.DNSNames, tc.dns)
			}
			if tc.ip != "" && (len(l.IPAddresses) != 1 || !l.IPAddresses[0].Equal(net.ParseIP(tc.ip))) {
				t.Errorf("got IP SANs %v, want %s", l.IPAddresses, tc.ip)
			}
			if l.IsCA || !slices.Equal(l.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
				t.Errorf("got IsCA %v, ExtKeyUsage %v, want a server leaf", l.IsCA, l.ExtKeyUsage)
			}
			if !l.NotBefore.Equal(epoch.Add(-time.Hour)) || !l.NotAfter.Equal(epoch.Add(24*time.Hour)) {
				t.Errorf("got validity %v to %v", l.NotBefore, l.NotAfter)
			}
			if l.SerialNumber.Sign() <= 0 || l.SerialNumber.BitLen() > 128 {
				t.Errorf("got serial %v, want 1 to 128 bits", l.SerialNumber)
			}
			opts := x509.VerifyOptions{Roots: roots, DNSName: tc.verify, CurrentTime: epoch}
			if _, err := l.Verify(opts); err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}
}

func TestLeafCappedByCA(t *testing.T) {
	clock := &fakeClock{t: epoch}
	a := newAuthority(t, Options{Now: clock.Now, Validity: 2 * time.Hour, LeafValidity: 24 * time.Hour})
	c, err := a.Leaf("example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Leaf.NotAfter, a.Certificate().NotAfter; !got.Equal(want) {
		t.Errorf("got NotAfter %v, want %v", got, want)
	}
	clock.t = epoch.Add(2 * time.Hour)
	if _, err := a.Leaf("example.com"); !errors.Is(err, ErrExpired) {
		t.Errorf("after CA expiry: got %v, want %v", err, ErrExpired)
	}
}

func TestLeafCache(t *testing.T) {
	var hookHits, hookMisses atomic.Int64
	onLeaf := func(hit bool) {
		if hit {
			hookHits.Add(1)
		} else {
			hookMisses.Add(1)
		}
	}
	a := newAuthority(t, Options{OnLeaf: onLeaf})
	first, err := a.Leaf("example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"example.com", "EXAMPLE.com.", "Example.Com"} {
		c, err := a.Leaf(h)
		if err != nil || c != first {
			t.Errorf("Leaf(%q): got %p, %v, want the cached %p", h, c, err, first)
		}
	}
	other, _ := a.Leaf("other.example.com")
	if other == first || other.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0 {
		t.Error("two hosts share a leaf or a serial")
	}
	if other.PrivateKey != first.PrivateKey {
		t.Error("leaves of one Authority do not share their key")
	}
	hits, misses := a.Stats()
	if hits != 3 || misses != 2 || hookHits.Load() != 3 || hookMisses.Load() != 2 {
		t.Errorf("got Stats %d/%d, hook %d/%d, want 3/2 both", hits, misses, hookHits.Load(), hookMisses.Load())
	}
}

func TestLeafKeysDifferAcrossAuthorities(t *testing.T) {
	a, b := newAuthority(t, Options{}), newAuthority(t, Options{})
	la, _ := a.Leaf("example.com")
	lb, _ := b.Leaf("example.com")
	if la.Leaf.PublicKey.(*ecdsa.PublicKey).Equal(lb.Leaf.PublicKey) {
		t.Error("two sandboxes share a leaf key")
	}
}

func TestLeafEviction(t *testing.T) {
	a := newAuthority(t, Options{LeafCacheSize: 2})
	first, _ := a.Leaf("a.example")
	a.Leaf("b.example")
	a.Leaf("c.example")
	again, _ := a.Leaf("a.example")
	if again == first {
		t.Error("evicted leaf came back from the cache")
	}
	if got := a.cache.Len(); got != 2 {
		t.Errorf("got %d cached leaves, want 2", got)
	}
}

func TestLeafRenewal(t *testing.T) {
	clock := &fakeClock{t: epoch}
	a := newAuthority(t, Options{Now: clock.Now, LeafValidity: 24 * time.Hour})
	first, _ := a.Leaf("example.com")
	clock.t = epoch.Add(22 * time.Hour)
	if c, _ := a.Leaf("example.com"); c != first {
		t.Error("leaf renewed too early")
	}
	clock.t = epoch.Add(23 * time.Hour)
	c, _ := a.Leaf("example.com")
	if c == first || !c.Leaf.NotAfter.Equal(clock.t.Add(24*time.Hour)) {
		t.Errorf("got NotAfter %v, want a fresh leaf", c.Leaf.NotAfter)
	}
}

func TestLeafInvalidHost(t *testing.T) {
	a := newAuthority(t, Options{})
	for _, h := range []string{"", ".", "exa mple.com", "a..b", "*.example.com", "example.com:443", "ü.de", "a/b"} {
		t.Run(h, func(t *testing.T) {
			if _, err := a.Leaf(h); !errors.Is(err, ErrInvalidHost) {
				t.Errorf("got %v, want %v", err, ErrInvalidHost)
			}
		})
	}
}

func TestDestroy(t *testing.T) {
	a := newAuthority(t, Options{})
	if _, err := a.Leaf("example.com"); err != nil {
		t.Fatal(err)
	}
	a.Destroy()
	a.Destroy()
	for _, h := range []string{"example.com", "new.example.com"} {
		if _, err := a.Leaf(h); !errors.Is(err, ErrDestroyed) {
			t.Errorf("Leaf(%q): got %v, want %v", h, err, ErrDestroyed)
		}
	}
	if a.key != nil || a.leafKey != nil || a.cache.Len() != 0 {
		t.Error("Destroy left a key or a cached leaf")
	}
	if len(a.CertPEM()) == 0 {
		t.Error("CertPEM empty after Destroy")
	}
}

func TestLeafConcurrentMintOnce(t *testing.T) {
	a := newAuthority(t, Options{})
	const n = 32
	var wg sync.WaitGroup
	certs := make([]any, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			c, err := a.Leaf("same.example.com")
			if err != nil {
				t.Error(err)
			}
			certs[i] = c
		})
	}
	close(start)
	wg.Wait()
	for i := range certs {
		if certs[i] != certs[0] {
			t.Fatalf("caller %d got another certificate", i)
		}
	}
	if got := a.mints.Load(); got != 1 {
		t.Errorf("got %d mints, want 1", got)
	}
}

func TestLeafConcurrentWithDestroy(t *testing.T) {
	a := newAuthority(t, Options{LeafCacheSize: 8})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				_, err := a.Leaf(fmt.Sprintf("h%d.example.com", (g+i)%12))
				if err != nil && !errors.Is(err, ErrDestroyed) {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		time.Sleep(time.Millisecond)
		a.Destroy()
	})
	wg.Wait()
	if a.cache.Len() != 0 {
		t.Errorf("got %d cached leaves after Destroy, want 0", a.cache.Len())
	}
}

func TestLeafCachedNoAllocs(t *testing.T) {
	a := newAuthority(t, Options{})
	a.Leaf("example.com")
	if n := testing.AllocsPerRun(100, func() { a.Leaf("example.com") }); n != 0 {
		t.Errorf("got %v allocs per cached Leaf, want 0", n)
	}
}
