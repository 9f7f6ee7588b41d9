package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/sandgate/sandgate/secrets"
)

// reason is a short, fixed description of a failure. vault/api's errors
// repeat the request URL and Vault's own words; a reason keeps neither, so
// it is safe in a log line or an error body, and it still matches the
// secrets.Err* kinds (and context errors) with errors.Is.
type reason struct {
	msg   string
	kinds []error
}

func (r *reason) Error() string   { return r.msg }
func (r *reason) Unwrap() []error { return r.kinds }

// errUntrusted marks a certificate Vault's CA does not verify: a
// configuration problem, not an outage, even though reads are unavailable.
var errUntrusted = errors.New("vault certificate not trusted")

func because(msg string, kinds ...error) error { return &reason{msg: msg, kinds: kinds} }

// describe maps an error from vault/api to a reason.
func describe(err error) error {
	var (
		re      *api.ResponseError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		urlErr  *url.Error
		netErr  net.Error
	)
	switch {
	case errors.Is(err, api.ErrSecretNotFound):
		return secrets.ErrNotFound
	case errors.As(err, &re):
		return describeStatus(re)
	case errors.Is(err, context.Canceled):
		return because("canceled", context.Canceled)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return because("vault timed out", secrets.ErrUnavailable, context.DeadlineExceeded)
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return because("vault certificate not trusted", secrets.ErrUnavailable, errUntrusted)
	case errors.As(err, &urlErr), errors.As(err, &netErr):
		return because("vault unreachable", secrets.ErrUnavailable)
	}
	return because("unexpected answer from vault", secrets.ErrUnavailable)
}

// describeStatus maps an HTTP error answer. Vault's error strings are
// looked at, never copied.
func describeStatus(re *api.ResponseError) error {
	switch code := re.StatusCode; {
	case code == 401 || code == 403:
		if invalidToken(re) {
			return because("permission denied (invalid or expired token)", secrets.ErrPermissionDenied)
		}
		return secrets.ErrPermissionDenied
	case code == 404:
		return secrets.ErrNotFound
	case code == 429:
		return because("vault rate limit reached", secrets.ErrUnavailable)
	case code == 503 && vaultSays(re, "vault is sealed"):
		return because("vault sealed", secrets.ErrUnavailable)
	case code >= 500:
		return because(fmt.Sprintf("vault unavailable (status %d)", code), secrets.ErrUnavailable)
	}
	return because(fmt.Sprintf("vault refused the request (status %d)", re.StatusCode))
}

func invalidToken(re *api.ResponseError) bool {
	return re.StatusCode == 403 && vaultSays(re, "invalid token")
}

// vaultSays reports whether one of Vault's error strings contains s,
// case-insensitively.
func vaultSays(re *api.ResponseError, s string) bool {
	for _, e := range re.Errors {
		if strings.Contains(strings.ToLower(e), s) {
			return true
		}
	}
	return false
}

// describeLogin maps an error from an AppRole login.
func describeLogin(err error) error {
	var (
		re      *api.ResponseError
		pathErr *os.PathError
	)
	switch {
	case errors.As(err, &pathErr):
		// "open /run/secret_id: permission denied": names the file only.
		return fmt.Errorf("reading secret_id file: %w", pathErr)
	case errors.As(err, &re) && re.StatusCode == 400:
		return because("invalid role_id or secret_id", secrets.ErrPermissionDenied)
	}
	return describe(err)
}
