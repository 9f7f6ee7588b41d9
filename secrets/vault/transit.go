package vault

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Transit encrypts and decrypts with Vault's transit engine, as the Store
// is logged in (token or AppRole, kept alive by the Store). The plain text
// never leaves memory but to Vault.
type Transit struct {
	s          *Store
	mount, key string
}

// Transit returns the transit key key of the engine at mount.
func (s *Store) Transit(mount, key string) *Transit {
	return &Transit{s: s, mount: strings.Trim(mount, "/"), key: key}
}

// Name is "<mount>/<key>".
func (t *Transit) Name() string { return t.mount + "/" + t.key }

// Encrypt calls transit/encrypt and returns Vault's cipher text
// ("vault:v1:...").
func (t *Transit) Encrypt(ctx context.Context, plain []byte) (string, error) {
	sec, err := t.s.client.Logical().WriteWithContext(ctx, t.mount+"/encrypt/"+t.key,
		map[string]any{"plaintext": base64.StdEncoding.EncodeToString(plain)})
	if err != nil {
		t.s.noticeRefusal(err)
		return "", fmt.Errorf("vault: transit encrypt with %s: %w", t.Name(), describe(err))
	}
	var ct string
	if sec != nil {
		ct, _ = sec.Data["ciphertext"].(string)
	}
	if ct == "" {
		return "", fmt.Errorf("vault: transit encrypt with %s: no cipher text in the answer", t.Name())
	}
	return ct, nil
}

// Decrypt calls transit/decrypt.
func (t *Transit) Decrypt(ctx context.Context, ciphertext string) ([]byte, error) {
	sec, err := t.s.client.Logical().WriteWithContext(ctx, t.mount+"/decrypt/"+t.key,
		map[string]any{"ciphertext": ciphertext})
	if err != nil {
		t.s.noticeRefusal(err)
		return nil, fmt.Errorf("vault: transit decrypt with %s: %w", t.Name(), describe(err))
	}
	if sec == nil {
		return nil, errors.New("vault: transit decrypt: no answer")
	}
	b64, _ := sec.Data["plaintext"].(string)
	plain, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("vault: transit decrypt with %s: the plain text is not base64", t.Name())
	}
	return plain, nil
}
