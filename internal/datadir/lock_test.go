package datadir

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondHolderIsRefusedUntilRelease(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Acquire = %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error does not name the dir and the holder: %v", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
}

// A lock held by another process is refused too, and is freed by the kernel
// when that process dies, so a crash leaves no stale lock.
func TestLockOfDeadProcessIsFree(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("flock", "--exclusive", "--no-fork", dir+"/outpost.lock", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatalf("flock(1) is needed: %v", err)
	}
	defer cmd.Process.Kill()
	var err error
	for range 200 { // until flock(1) has taken the lock
		var l *Lock
		if l, err = Acquire(dir); err == nil {
			l.Release()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		break
	}
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("lock held by another process: Acquire = %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l.Release()
}
