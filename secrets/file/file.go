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
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

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
	stat     func(string) (os.FileInfo, error) // os.Stat; counted in tests

	data atomic.Pointer[map[string]map[string]string]

	mu        sync.Mutex // held while checking and reloading
	stamp     stamp      // of the last file looked at, good or bad
	lastCheck time.Time

	// With WithWatch: the kernel's change events for the file's folder
	// (nil if the watch could not be set up) and whether one came since the
	// last look.
	watch     bool
	watcher   *fsnotify.Watcher
	changed   atomic.Bool
	watchDone chan struct{}
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

// WithWatch makes the store learn of changes from the kernel (inotify,
// through fsnotify, on the file's folder, so that a file replaced by a
// rename or a swapped symlink is seen too) instead of looking at the file on
// every Get: a Get looks only after an event in the folder, and also once
// per check interval, should the events stop (the folder itself replaced). Looking is a stat system call,
// which costs about as much as the rest of a secrets read; a change is still
// used from the next Get after the event. If the watch cannot be set up, New
// logs why and the store looks on every Get instead.
func WithWatch() Option {
	return func(s *Store) { s.watch = true }
}

// New reads the file at path. A file that is missing or does not parse is an
// error that names the file and, for a parse error, the line and column.
func New(path string, opts ...Option) (*Store, error) {
	s := &Store{
		path:     path,
		logger:   slog.Default(),
		interval: DefaultCheckInterval,
		now:      time.Now,
		stat:     os.Stat,
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
	if s.watch {
		s.startWatch()
	}
	return s, nil
}

// startWatch sets up the watch of the file's folder and its goroutine, or
// falls back to a look on every Get.
func (s *Store) startWatch() {
	dir, err := filepath.Abs(filepath.Dir(s.path))
	var w *fsnotify.Watcher
	if err == nil {
		w, err = fsnotify.NewWatcher()
	}
	if err == nil {
		if err = w.Add(dir); err != nil {
			_ = w.Close()
		}
	}
	if err != nil {
		s.logger.Warn("secrets file: cannot watch its folder, looking at the file on every read instead",
			"file", s.path, "error", err)
		s.interval = 0
		return
	}
	s.watcher, s.watchDone = w, make(chan struct{})
	go s.watchLoop(w, s.interval)
}

func (s *Store) watchLoop(w *fsnotify.Watcher, fallback time.Duration) {
	defer close(s.watchDone)
	var tick <-chan time.Time
	if fallback > 0 {
		t := time.NewTicker(fallback)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case _, ok := <-w.Events:
			if !ok {
				return
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// An overflow loses events: look at the file anyway.
			s.logger.Warn("secrets file: watch error, looking at the file", "file", s.path, "error", err)
		case <-tick:
		}
		s.changed.Store(true)
	}
}

// Close stops the watch, if there is one.
func (s *Store) Close() error {
	if s.watcher == nil {
		return nil
	}
	err := s.watcher.Close()
	<-s.watchDone
	return err
}

// Get returns the fields of the secret at path. The map is the store's own
// (a reload replaces it, never changes it): the caller must not change it.
func (s *Store) Get(ctx context.Context, path string) (map[string]string, error) {
	p, err := secrets.CleanPath(path)
	if err != nil {
		return nil, err
	}
	switch {
	case s.watcher == nil:
		s.maybeReload(false)
	case s.changed.Load():
		s.maybeReload(true)
	}
	fields, ok := (*s.data.Load())[p]
	if !ok {
		return nil, &secrets.Error{Op: "reading", Path: p, Err: secrets.ErrNotFound}
	}
	return fields, nil
}

// maybeReload re-reads the file when it changed and, unless forced (by a
// watch event), the check interval has passed. Only one Get checks at a
// time; the others go on with the contents they have.
func (s *Store) maybeReload(force bool) {
	if !s.mu.TryLock() {
		return
	}
	defer s.mu.Unlock()
	now := s.now()
	if !force && s.interval > 0 && now.Sub(s.lastCheck) < s.interval {
		return
	}
	s.changed.Store(false) // an event from now on calls for another look
	s.lastCheck = now
	fi, err := s.stat(s.path)
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
