// Package datadir guards a data directory against being used by two servers
// at once, which would corrupt the SQLite datastore and the certificates.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Lock is an exclusive hold on a data directory.
type Lock struct {
	file *os.File
}

// ErrInUse is returned when another process holds the data directory.
var ErrInUse = errors.New("data directory is in use")

// Acquire takes the lock on dir, creating dir if needed. It fails at once,
// without waiting, when another process holds it. The kernel drops an flock
// when its holder dies, so a crashed server never leaves a stale lock.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "outpost.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another outpost server"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(holder))); perr == nil {
				who += fmt.Sprintf(" (pid %d)", pid)
			}
			return nil, fmt.Errorf("%w: %s is used by %s; stop it or choose another --data-dir", ErrInUse, dir, who)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{file: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	return l.file.Close()
}
