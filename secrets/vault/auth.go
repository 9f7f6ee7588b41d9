package vault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
)

// Login retry delays: the first retry waits about minRetry, each next one
// twice as long, up to maxRetry. minLoginGap spaces logins that succeed, so
// a token Vault keeps refusing cannot make the keeper spin.
var (
	minRetry    = 500 * time.Millisecond
	maxRetry    = 30 * time.Second
	minLoginGap = time.Second
)

func (s *Store) startAppRole(ctx context.Context, a *AppRole) (func(context.Context), error) {
	auth, err := approle.NewAppRoleAuth(a.RoleID,
		&approle.SecretID{FromFile: a.SecretIDFile}, approle.WithMountPath(a.Mount))
	if err != nil {
		return nil, fmt.Errorf("vault: approle: %w", err)
	}
	lc, err := s.client.CloneWithHeaders() // keeps the namespace
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	lc.ClearToken() // never present an old token (or VAULT_TOKEN) to the login
	s.login, s.loginClient = auth, lc

	secret, err := s.logIn(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { s.keepLoggedIn(ctx, secret) }, nil
}

// logIn logs in once and hands the new token to the client.
func (s *Store) logIn(ctx context.Context) (*api.Secret, error) {
	secret, err := s.login.Login(ctx, s.loginClient)
	if err != nil {
		return nil, fmt.Errorf("vault: approle login: %w", describeLogin(err))
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return nil, errors.New("vault: approle login: no token in the answer")
	}
	s.client.SetToken(secret.Auth.ClientToken)
	return secret, nil
}

// keepLoggedIn renews the token while Vault allows and logs in again when
// it does not: at the token's maximum lifetime, after a failed renewal, or
// when a read finds the token refused. It returns when ctx ends.
func (s *Store) keepLoggedIn(ctx context.Context, secret *api.Secret) {
	last := time.Now()
	for {
		s.watch(ctx, secret, true)
		if !sleep(ctx, time.Until(last.Add(minLoginGap))) {
			return
		}
		var ok bool
		if secret, ok = s.logInUntilDone(ctx); !ok {
			return
		}
		last = time.Now()
		s.logger.Info("vault: logged in again with approle", "ttl", authTTL(secret))
	}
}

// logInUntilDone logs in, retrying with backoff until it works or ctx ends.
func (s *Store) logInUntilDone(ctx context.Context) (*api.Secret, bool) {
	delay := minRetry
	for {
		secret, err := s.logIn(ctx)
		if err == nil {
			select { // a refusal seen before this login is stale
			case <-s.relogin:
			default:
			}
			return secret, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		wait := delay/2 + rand.N(delay/2+1) // jittered, so many gateways do not retry in step
		s.logger.Warn("vault: login failed, retrying", "error", err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil, false
		}
		delay = min(2*delay, maxRetry)
	}
}

// watch renews the token in secret until it should be replaced or ctx ends.
// With relogin, a refusal seen by a read ends it too.
func (s *Store) watch(ctx context.Context, secret *api.Secret, relogin bool) {
	var refused <-chan struct{}
	if relogin {
		refused = s.relogin
	}
	if secret.Auth.LeaseDuration <= 0 { // a token that does not expire
		select {
		case <-ctx.Done():
		case <-refused:
			s.logger.Warn("vault: token refused, logging in again")
		}
		return
	}
	w, err := s.client.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: secret})
	if err != nil {
		s.logger.Error("vault: cannot watch the token", "error", err)
		return
	}
	go w.Start()
	defer w.Stop()
	for {
		select {
		case err := <-w.DoneCh():
			if err != nil {
				s.logger.Warn("vault: token renewal failed", "error", describe(err))
			} else {
				s.logger.Info("vault: token near the end of its lifetime")
			}
			return
		case out := <-w.RenewCh():
			s.logger.Debug("vault: token renewed", "ttl", authTTL(out.Secret))
		case <-refused:
			s.logger.Warn("vault: token refused, logging in again")
			return
		case <-ctx.Done():
			return
		}
	}
}

// startToken checks a configured token. A token that can be renewed is
// renewed until its maximum lifetime; there is no way to get another.
func (s *Store) startToken(ctx context.Context) (func(context.Context), error) {
	self, err := s.client.Auth().Token().LookupSelfWithContext(ctx)
	var re *api.ResponseError
	switch {
	case errors.As(err, &re) && re.StatusCode == 403 && !invalidToken(re):
		// A token without the default policy may not look itself up; reads
		// can still work, so do not refuse it, but do not renew it either.
		s.logger.Warn("vault: token may not look itself up; not renewing it")
		return func(context.Context) {}, nil
	case err != nil:
		return nil, fmt.Errorf("vault: checking the token: %w", describe(err))
	}
	renewable, _ := self.TokenIsRenewable()
	ttl, _ := self.TokenTTL()
	if !renewable || ttl <= 0 {
		return func(context.Context) {}, nil
	}
	secret := &api.Secret{Auth: &api.SecretAuth{
		ClientToken:   s.client.Token(),
		Renewable:     true,
		LeaseDuration: int(ttl / time.Second),
	}}
	return func(ctx context.Context) {
		s.watch(ctx, secret, false)
		if ctx.Err() == nil {
			s.logger.Warn("vault: token can no longer be renewed; reads fail once it expires")
		}
	}, nil
}

func authTTL(secret *api.Secret) time.Duration {
	if secret == nil || secret.Auth == nil {
		return 0
	}
	return time.Duration(secret.Auth.LeaseDuration) * time.Second
}

// sleep waits for d or until ctx ends, reporting whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
