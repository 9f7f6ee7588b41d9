// Package vault is the secrets backend that reads HashiCorp Vault's KV
// version 2 engine, with a token or an AppRole login that it keeps alive.
package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"

	"github.com/sandgate/sandgate/secrets"
)

// Store reads secrets below one prefix of a KV version 2 mount.
type Store struct {
	client *api.Client
	kv     *api.KVv2
	prefix string
	logger *slog.Logger

	// AppRole only.
	login       *approle.AppRoleAuth
	loginClient *api.Client   // a clone without a token, for logging in
	relogin     chan struct{} // a read saw the token refused

	stop      context.CancelFunc
	done      chan struct{} // closed when the token keeper has returned
	closeOnce sync.Once
}

// New connects to Vault. With AppRole it logs in before returning; with a
// token it looks the token up. Then it checks that Mount is a KV version 2
// engine. A refusal (bad role, bad token, wrong mount) is an error, so a bad
// configuration shows at start-up; Vault being unreachable is not: the store
// starts, reads fail with secrets.ErrUnavailable until Vault answers. ctx bounds only this start-up; Close
// stops what New started.
func New(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{
		client:  client,
		kv:      client.KVv2(cfg.Mount),
		prefix:  cfg.Prefix,
		logger:  cfg.Logger,
		relogin: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	keeper, err := s.startAuth(ctx, cfg)
	unreachable := errors.Is(err, secrets.ErrUnavailable) && !errors.Is(err, errUntrusted)
	switch {
	case unreachable:
		// Vault down is not a configuration error: start anyway, so that
		// sandboxes keep what needs no secret; reads fail closed until
		// Vault answers (an AppRole login is retried in the background).
		s.logger.Warn("vault: unreachable at start; secrets.get fails until it answers", "error", err)
		keeper = s.startLater(cfg)
	case err != nil:
		return nil, err
	}
	if !unreachable && !cfg.NoKV {
		if err := s.checkMount(ctx, cfg.Mount); err != nil {
			return nil, err
		}
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() {
		defer close(s.done)
		keeper(bg)
	}()
	return s, nil
}

// startAuth makes sure the client holds a working token and returns the
// loop that keeps it working.
func (s *Store) startAuth(ctx context.Context, cfg Config) (func(context.Context), error) {
	if cfg.AppRole != nil {
		return s.startAppRole(ctx, cfg.AppRole)
	}
	return s.startToken(ctx)
}

// Get reads the latest version of the secret at path (below the prefix) and
// returns its fields, non-strings as their JSON text. A missing or deleted
// secret is secrets.ErrNotFound. Every error is a *secrets.Error naming the
// path and a short reason.
func (s *Store) Get(ctx context.Context, path string) (map[string]string, error) {
	p, err := secrets.CleanPath(path)
	if err != nil {
		return nil, err
	}
	full := p
	if s.prefix != "" {
		full = s.prefix + "/" + p
	}
	kv, err := s.kv.Get(ctx, full)
	if err != nil {
		s.noticeRefusal(err)
		return nil, &secrets.Error{Op: "reading", Path: p, Err: describe(err)}
	}
	if kv == nil || kv.Data == nil { // the latest version is deleted or destroyed
		return nil, &secrets.Error{Op: "reading", Path: p, Err: secrets.ErrNotFound}
	}
	fields, err := stringify(kv.Data)
	if err != nil {
		return nil, &secrets.Error{Op: "reading", Path: p, Err: err}
	}
	return fields, nil
}

// stringify turns a secret's data into strings: strings as they are, any
// other JSON value as its JSON text.
func stringify(data map[string]any) (map[string]string, error) {
	fields := make(map[string]string, len(data))
	for k, v := range data {
		if str, ok := v.(string); ok {
			fields[k] = str
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %q is not JSON", k) // no value: the error could quote it
		}
		fields[k] = string(b)
	}
	return fields, nil
}

// noticeRefusal asks the AppRole keeper to log in again when Vault no
// longer knows the token (it expired early, was revoked, or Vault lost it).
func (s *Store) noticeRefusal(err error) {
	var re *api.ResponseError
	if s.login == nil || !errors.As(err, &re) || !invalidToken(re) {
		return
	}
	select {
	case s.relogin <- struct{}{}:
	default:
	}
}

// Close stops renewing and logging in. The token is left to expire.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
	})
	return nil
}

var _ secrets.Store = (*Store)(nil)

// startLater is the keeper when Vault was unreachable at start: with
// AppRole it logs in as soon as Vault answers, then keeps the token alive;
// a configured token is used as is.
func (s *Store) startLater(cfg Config) func(context.Context) {
	if cfg.AppRole == nil {
		return func(context.Context) {}
	}
	return func(ctx context.Context) {
		if secret, ok := s.logInUntilDone(ctx); ok {
			s.logger.Info("vault: logged in")
			s.keepLoggedIn(ctx, secret)
		}
	}
}
