package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tokenPlaceholder stands for a sandbox's token in env files written after
// creation (the server shows a token only once): the file expands it from
// the environment when it is sourced.
const tokenPlaceholder = "${SANDGATE_SANDBOX_TOKEN}"

// caEnvKeys are the variables that point at the sandbox's CA file.
var caEnvKeys = []string{"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"}

// bundleEnvKeys are the variables that point at the sandbox's CA bundle
// (system roots plus its CA): npm and pip take one file of roots.
var bundleEnvKeys = []string{"NPM_CONFIG_CAFILE", "PIP_CERT"}

// bundleFor is the bundle's path beside the CA file.
func bundleFor(caPath string) string { return filepath.Join(filepath.Dir(caPath), "ca-bundle.pem") }

// proxyEnvKeys are the variables that carry the proxy URL.
var proxyEnvKeys = []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}

// sandboxEnv builds the environment of a sandbox from its proxy URL and
// the path its CA is stored at.
func sandboxEnv(proxyURL, caPath string) map[string]string {
	env := map[string]string{}
	for _, k := range proxyEnvKeys {
		env[k] = proxyURL
	}
	for _, k := range caEnvKeys {
		env[k] = caPath
	}
	for _, k := range bundleEnvKeys {
		env[k] = bundleFor(caPath)
	}
	return env
}

// withCAPath points every CA variable of env at caPath.
func withCAPath(env map[string]string, caPath string) map[string]string {
	out := make(map[string]string, len(env))
	old := env["SSL_CERT_FILE"]
	for k, v := range env {
		if v == old && old != "" {
			v = caPath
		}
		out[k] = v
	}
	for _, k := range caEnvKeys {
		out[k] = caPath
	}
	for _, k := range bundleEnvKeys {
		out[k] = bundleFor(caPath)
	}
	return out
}

// envLines renders env as export lines a POSIX shell can source.
func envLines(id string, env map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# sandgate sandbox %s: source this file in the sandbox (. ./sandgate.env)\n", id)
	for _, k := range sortedKeys(env) {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	return b.String()
}

// shellQuote single-quotes s, leaving tokenPlaceholder to be expanded.
func shellQuote(s string) string {
	parts := strings.Split(s, tokenPlaceholder)
	for i, p := range parts {
		if p != "" {
			parts[i] = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return strings.Join(parts, `"`+tokenPlaceholder+`"`)
}

// writeEnvDir writes dir/ca.pem, dir/ca-bundle.pem and dir/sandgate.env (mode 0600: it holds
// the token) and returns their paths.
func writeEnvDir(dir, id string, caPEM, bundle []byte, env map[string]string) (string, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating %s: %w", dir, err)
	}
	caFile, envFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "sandgate.env")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", caFile, err)
	}
	if f := filepath.Join(dir, "ca-bundle.pem"); bundle != nil {
		if err := os.WriteFile(f, bundle, 0o644); err != nil {
			return "", "", fmt.Errorf("writing %s: %w", f, err)
		}
	}
	if err := os.WriteFile(envFile, []byte(envLines(id, env)), 0o600); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", envFile, err)
	}
	return caFile, envFile, nil
}

// caPathFor is the CA path written into env: caPath if given, else
// dir/ca.pem made absolute.
func caPathFor(dir, caPath string) (string, error) {
	if caPath != "" {
		return caPath, nil
	}
	abs, err := filepath.Abs(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", dir, err)
	}
	return abs, nil
}
