package controlplane

import (
	"flag"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"k8s.io/klog/v2"
)

// redirectComponentLogs sends the upstream components' logs (klog, and
// logrus from kine) to a file, so that the terminal shows Outpost's own
// concise log and the details stay at hand for debugging. The file stays
// open for the life of the process: components still log while they stop.
func redirectComponentLogs(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	flags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(flags)
	// Nothing on stderr below FATAL: the terminal is Outpost's.
	if err := flags.Set("stderrthreshold", "FATAL"); err != nil {
		return err
	}
	klog.LogToStderr(false)
	// klog writes a line of severity S to the outputs of S and every lower
	// severity; with one file for all, only the INFO output may write.
	klog.SetOutputBySeverity("INFO", f)
	for _, s := range []string{"WARNING", "ERROR", "FATAL"} {
		klog.SetOutputBySeverity(s, io.Discard)
	}
	logrus.SetOutput(f)
	return nil
}
