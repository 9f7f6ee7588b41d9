package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/sandgate/sandgate/admin/client"
	"github.com/sandgate/sandgate/sandbox"
)

type createRequest struct {
	ID       *string           `json:"id"`
	Class    *string           `json:"class"`
	SourceIP *string           `json:"source_ip"`
	Labels   map[string]string `json:"labels"`
}

func (a *API) createSandbox(w http.ResponseWriter, r *http.Request) {
	var body createRequest // every field is optional, and so is the body
	if err := decodeOptionalJSON(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req := sandbox.CreateRequest{Labels: body.Labels}
	if body.ID != nil {
		if !sandbox.ID.MatchString(*body.ID) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("field \"id\": %q must match %s", *body.ID, sandbox.ID))
			return
		}
		req.ID = *body.ID
	}
	if body.Class != nil {
		req.Class = *body.Class
	}
	if body.SourceIP != nil && *body.SourceIP != "" {
		ip, err := netip.ParseAddr(*body.SourceIP)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("field \"source_ip\": %q is not an IP address", *body.SourceIP))
			return
		}
		req.SourceIP = ip.Unmap()
	}
	for k, v := range body.Labels {
		if k == "" || len(k) > 128 || len(v) > 1024 {
			writeError(w, http.StatusBadRequest, "field \"labels\": keys must be 1 to 128 bytes, values at most 1024")
			return
		}
	}
	sb, token, err := a.opts.Registry.CreateContext(r.Context(), req)
	if err != nil {
		a.fail(w, "creating sandbox", err)
		return
	}
	a.log.Info("sandbox created", "sandbox", sb.ID, "class", sb.Class.Name)
	proxyURL := (&url.URL{Scheme: "http", User: url.UserPassword(sb.ID, token), Host: a.opts.ProxyAddr}).String()
	writeJSON(w, http.StatusCreated, client.Created{
		ID: sb.ID, Token: token, Class: sb.Class.Name, ProxyURL: proxyURL,
		CAPEM: string(sb.CA.CertPEM()), Env: envFor(proxyURL, a.opts.CAPath),
	})
}

// envFor is what a sandbox exports to use the proxy and trust its CA.
// npm and pip replace the system roots with the file they are given, so
// theirs is the bundle (system roots plus the CA, GET .../ca-bundle.pem).
func envFor(proxyURL, caPath string) map[string]string {
	bundle := bundlePath(caPath)
	return map[string]string{
		"HTTP_PROXY": proxyURL, "HTTPS_PROXY": proxyURL,
		"http_proxy": proxyURL, "https_proxy": proxyURL,
		"SSL_CERT_FILE": caPath, "NODE_EXTRA_CA_CERTS": caPath, "REQUESTS_CA_BUNDLE": caPath,
		"CURL_CA_BUNDLE": caPath, "GIT_SSL_CAINFO": caPath,
		"NPM_CONFIG_CAFILE": bundle, "PIP_CERT": bundle,
	}
}

func summary(sb *sandbox.Sandbox) client.SandboxSummary {
	s := client.SandboxSummary{ID: sb.ID, Class: sb.Class.Name, Labels: sb.Labels, CreatedAt: sb.Created}
	if sb.SourceIP.IsValid() {
		s.SourceIP = sb.SourceIP.String()
	}
	return s
}

func (a *API) listSandboxes(w http.ResponseWriter, _ *http.Request) {
	list := a.opts.Registry.List()
	out := make([]client.SandboxSummary, len(list))
	for i, sb := range list {
		out[i] = summary(sb)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sandboxes": out})
}

func (a *API) sandbox(w http.ResponseWriter, r *http.Request) (*sandbox.Sandbox, bool) {
	sb, ok := a.opts.Registry.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown sandbox %q", r.PathValue("id")))
	}
	return sb, ok
}

func (a *API) showSandbox(w http.ResponseWriter, r *http.Request) {
	if sb, ok := a.sandbox(w, r); ok {
		writeSandbox(w, sb)
	}
}

// writeSandbox answers 200 with the sandbox's effective policy and the
// ETag of the version shown.
func writeSandbox(w http.ResponseWriter, sb *sandbox.Sandbox) {
	o, tag := sb.View()
	w.Header().Set("ETag", tag)
	writeJSON(w, http.StatusOK, describe(sb, o))
}

func (a *API) deleteSandbox(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.opts.Registry.Delete(r.Context(), id, r.Header.Get("If-Match")); err != nil {
		if errors.Is(err, sandbox.ErrSandboxNotFound) {
			err = &statusError{http.StatusNotFound, fmt.Sprintf("unknown sandbox %q", id)}
		}
		a.fail(w, "deleting sandbox", err)
		return
	}
	a.log.Info("sandbox deleted", "sandbox", id)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) caPEM(w http.ResponseWriter, r *http.Request) {
	if sb, ok := a.sandbox(w, r); ok {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(sb.CA.CertPEM())
	}
}

// patternList decodes a list of host patterns or null.
func patternList(r *http.Request) (*[]string, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var v *[]string
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("body must be a JSON list of host patterns or null: %v", jsonError(err))
	}
	return v, nil
}
