// Package file is a secrets backend that reads a JSON file of
// {"path": {"field": "value"}}, for a first run and for tests. The file is
// re-read when it changes; a change that does not parse is logged and the
// last good contents stay in use.
package file

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandgate/sandgate/secrets"
)

// DefaultCheckInterval is how often Get looks at the file for a change, at
// most.
const DefaultCheckInterval = 250 * time.Millisecond

// Store serves the secrets of one JSON file.
type Store struct {
	path     string
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time

	data atomic.Pointer[map[string]map[string]string]

	mu        sync.Mutex // held while checking and reloading
	stamp     stamp      // of the last file looked at, good or bad
	lastCheck time.Time
}

// stamp identifies a version of the file without reading it.
type stamp struct {
	info os.FileInfo
}

func (s stamp) same(fi os.FileInfo) bool {
	return s.info != nil && os.SameFile(s.info, fi) &&
		s.info.ModTime().Equal(fi.ModTime()) && s.info.Size() == fi.Size()
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sets where reload warnings go. The default (nil) is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithCheckInterval sets how often Get may look at the file for a change; 0
// looks on every Get. The default is DefaultCheckInterval.
func WithCheckInterval(d time.Duration) Option {
	return func(s *Store) { s.interval = max(d, 0) }
}

// New reads the file at path. A file that is missing or does not parse is an
// error that names the file and, for a parse error, the line and column.
func New(path string, opts ...Option) (*Store, error) {
	s := &Store{
		path:     path,
		logger:   slog.Default(),
		interval: DefaultCheckInterval,
		now:      time.Now,
	}
	for _, opt := range opts {
		opt(s)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secrets/file: %w", err)
	}
	data, err := load(path)
	if err != nil {
		return nil, err
	}
	s.data.Store(&data)
	s.stamp = stamp{info: fi}
	s.lastCheck = s.now()
	return s, nil
}

// Get returns the fields of the secret at path. The map is the store's own
// (a reload replaces it, never changes it): the caller must not change it.
func (s *Store) Get(ctx context.Context, path string) (map[string]string, error) {
	p, err := secrets.CleanPath(path)
	if err != nil {
		return nil, err
	}
	s.maybeReload()
	fields, ok := (*s.data.Load())[p]
	if !ok {
		return nil, &secrets.Error{Op: "reading", Path: p, Err: secrets.ErrNotFound}
	}
	return fields, nil
}

// maybeReload re-reads the file when the check interval has passed and the
// file changed. Only one Get checks at a time; the others go on with the
// contents they have.
func (s *Store) maybeReload() {
	if !s.mu.TryLock() {
		return
	}
	defer s.mu.Unlock()
	now := s.now()
	if s.interval > 0 && now.Sub(s.lastCheck) < s.interval {
		return
	}
	s.lastCheck = now
	fi, err := os.Stat(s.path)
	if err != nil {
		if s.stamp.info != nil {
			s.logger.Warn("secrets file unreadable, keeping the last good contents", "file", s.path, "error", err)
			s.stamp = stamp{}
		}
		return
	}
	if s.stamp.same(fi) {
		return
	}
	s.stamp = stamp{info: fi} // a bad version is reported once, not on every Get
	data, err := load(s.path)
	if err != nil {
		s.logger.Warn("secrets file changed but does not parse, keeping the last good contents", "file", s.path, "error", err)
		return
	}
	s.data.Store(&data)
	s.logger.Info("secrets file reloaded", "file", s.path, "secrets", len(data))
}

var _ secrets.Store = (*Store)(nil)
