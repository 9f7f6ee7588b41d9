package vault

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// checkMount asks Vault what the configured mount is, the way the vault CLI
// does before a kv command. Without it a wrong mount would look like a
// missing secret: Vault answers 404 for a path no engine serves, and
// vault/api turns any 404 into "secret not found". The check refuses only
// what Vault positively describes as wrong; when the token may not ask
// (403), the reads will tell.
func (s *Store) checkMount(ctx context.Context, mount string) error {
	sec, err := s.client.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+mount)
	var re *api.ResponseError
	switch {
	case errors.As(err, &re) && re.StatusCode == 403:
		s.logger.Warn("vault: token may not describe the mount; not checking it", "mount", mount)
		return nil
	case err != nil:
		return fmt.Errorf("vault: checking mount %s: %w", mount, describe(err))
	case sec == nil || sec.Data == nil:
		return fmt.Errorf("vault: checking mount %s: no answer", mount)
	}
	path, _ := sec.Data["path"].(string)
	kind, _ := sec.Data["type"].(string)
	var version string
	if opts, ok := sec.Data["options"].(map[string]any); ok {
		version, _ = opts["version"].(string)
	}
	switch {
	case strings.Trim(path, "/") != mount:
		return fmt.Errorf("vault: mount %s: no engine is mounted there (it is inside %s)", mount, path)
	case kind != "kv":
		return fmt.Errorf("vault: mount %s: a %q engine, not KV version 2", mount, kind)
	case version != "2":
		return fmt.Errorf("vault: mount %s: KV version %s, not 2", mount, cmp.Or(version, "1"))
	}
	return nil
}
