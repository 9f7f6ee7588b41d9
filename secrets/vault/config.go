package vault

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/sandgate/sandgate/secrets"
)

// Config says how to reach Vault and where scripts may read.
type Config struct {
	// Address, Namespace and Token default, when empty, to VAULT_ADDR,
	// VAULT_NAMESPACE and VAULT_TOKEN. The other VAULT_* variables that
	// vault/api reads (VAULT_CACERT, VAULT_SKIP_VERIFY, VAULT_MAX_RETRIES...)
	// apply as well.
	Address, Namespace, Token string

	// Mount is the path of the KV version 2 engine. Empty means "secret".
	Mount string

	// Prefix is the folder under the mount that scripts read below: a
	// script's "a/b" is <mount>/data/<prefix>/a/b. Empty means the whole
	// mount.
	Prefix string

	// CAFile, if set, is a PEM file of the CA that signed Vault's
	// certificate, trusted instead of the system roots.
	CAFile string

	// AppRole, if non-nil, logs in with AppRole instead of using a token
	// and keeps the token it gets alive. Token and VAULT_TOKEN are ignored.
	AppRole *AppRole

	// NoKV says the Store is not used to read secrets (it seals the state
	// with Transit): New does not check that Mount is a KV engine.
	NoKV bool

	// Timeout bounds each request to Vault. Zero means 5s.
	Timeout time.Duration

	// Logger receives login and renewal events, never a token or a value.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// AppRole holds the AppRole login.
type AppRole struct {
	RoleID string
	// SecretIDFile holds the secret_id; it is read at every login, so it
	// may be rotated in place.
	SecretIDFile string
	// Mount is the path the AppRole auth method is enabled at. Empty means
	// "approle".
	Mount string
}

// DefaultTimeout bounds each request to Vault when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// withDefaults returns c with the defaults filled in and its paths checked.
func (c Config) withDefaults() (Config, error) {
	if c.Mount == "" {
		c.Mount = "secret"
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	var err error
	if c.Mount, err = cleanFolder("mount", c.Mount); err != nil {
		return c, err
	}
	if c.Prefix, err = cleanFolder("prefix", c.Prefix); err != nil {
		return c, err
	}
	if c.AppRole != nil {
		a := *c.AppRole
		if a.Mount == "" {
			a.Mount = "approle"
		}
		if a.Mount, err = cleanFolder("approle mount", a.Mount); err != nil {
			return c, err
		}
		if a.RoleID == "" || a.SecretIDFile == "" {
			return c, fmt.Errorf("vault: approle needs role_id and secret_id_file")
		}
		if c.Token != "" {
			return c, fmt.Errorf("vault: set a token or approle, not both")
		}
		c.AppRole = &a
	}
	return c, nil
}

// cleanFolder trims the slashes around a configured folder and checks what
// is left with the same rules as a script's path.
func cleanFolder(what, p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if _, err := secrets.CleanPath(p); err != nil {
		return "", fmt.Errorf("vault: %s: %w", what, err)
	}
	return p, nil
}

// newClient builds the API client from c and the environment. Requests are
// not retried by default: vault/api waits at least a second between tries,
// longer than a handler's time limit, and a failed read fails closed anyway.
func newClient(c Config) (*api.Client, error) {
	ac := api.DefaultConfig()
	if ac.Error != nil {
		return nil, fmt.Errorf("vault: reading VAULT_* environment: %w", ac.Error)
	}
	if c.Address != "" {
		ac.Address = c.Address
	}
	ac.Timeout = c.Timeout
	if os.Getenv(api.EnvVaultMaxRetries) == "" {
		ac.MaxRetries = 0
	}
	if c.CAFile != "" {
		if err := ac.ConfigureTLS(&api.TLSConfig{CACert: c.CAFile}); err != nil {
			return nil, fmt.Errorf("vault: loading ca_file: %w", err)
		}
	}
	client, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if c.Namespace != "" {
		client.SetNamespace(c.Namespace)
	}
	switch {
	case c.AppRole != nil:
		client.ClearToken() // not VAULT_TOKEN: the login sets it
	case c.Token != "":
		client.SetToken(c.Token)
	case client.Token() == "":
		return nil, fmt.Errorf("vault: no token: set token, VAULT_TOKEN or approle")
	}
	return client, nil
}
