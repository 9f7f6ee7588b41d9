package main

import (
	"strings"
	"sync"
)

// redactor replaces every secret the run knows (the injected value, the
// proxy tokens, the admin token) in text before it is printed or written:
// error messages can quote a request or a response.
type redactor struct {
	mu      sync.Mutex
	secrets []string
	r       *strings.Replacer
}

// add registers a secret; an empty one is ignored.
func (r *redactor) add(s string) {
	if s == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s)
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, "[redacted]")
	}
	r.r = strings.NewReplacer(pairs...)
}

// clean returns s with every known secret replaced.
func (r *redactor) clean(s string) string {
	r.mu.Lock()
	rep := r.r
	r.mu.Unlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// cleanAll cleans each string of list in place and returns it.
func (r *redactor) cleanAll(list []string) []string {
	for i, s := range list {
		list[i] = r.clean(s)
	}
	return list
}
