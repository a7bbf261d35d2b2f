package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/outpost-edge/outpost/tars/servant"
	adminf "github.com/outpost-edge/outpost/tars/server/internal/tars"
)

// AdminObj is the object name of the administration servant (§6.7).
const AdminObj = "AdminObj"

// AdminCommand runs an administration command sent through AdminObj's
// notify: cmd is the command name, args the rest of the line. Its result
// (or error text) is the reply.
type AdminCommand func(ctx context.Context, cmd, args string) (string, error)

// ListenAdmin opens an adapter on ep (the server's "local" endpoint) that
// serves AdminObj.
func (s *Server) ListenAdmin(ep string, opts ...AdapterOption) (*Adapter, error) {
	a, err := s.Listen(ep, append([]AdapterOption{Name("AdminAdapter")}, opts...)...)
	if err != nil {
		return nil, err
	}
	a.Handle(AdminObj, s.AdminDispatcher())
	return a, nil
}

// AdminDispatcher returns the dispatcher of the administration servant
// (interface AdminF: shutdown and notify), to serve as AdminObj.
func (s *Server) AdminDispatcher() servant.Dispatcher {
	return adminf.NewAdminFDispatcher(admin{s})
}

type admin struct{ s *Server }

// Shutdown starts a graceful shutdown bounded by WithGracefulTimeout and
// returns at once, so that the reply still leaves.
func (a admin) Shutdown(ctx context.Context) error {
	a.s.log.Info("tars server: shutdown requested through AdminObj")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), a.s.opts.graceful)
		defer cancel()
		a.s.Shutdown(ctx)
	}()
	return nil
}

// Notify runs one command line.
func (a admin) Notify(ctx context.Context, line string) (string, error) {
	cmd, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	args = strings.TrimSpace(args)
	s := a.s
	if f, ok := s.opts.commands[cmd]; ok {
		return f(ctx, cmd, args)
	}
	switch cmd {
	case "tars.viewversion":
		return s.version(), nil
	case "tars.viewstatus":
		return s.viewStatus(), nil
	case "tars.setloglevel":
		return s.setLogLevel(args)
	case "tars.connection":
		var lines []string
		for _, ad := range s.Adapters() {
			lines = append(lines, ad.connections()...)
		}
		return fmt.Sprintf("%d connections\n%s", len(lines), strings.Join(lines, "\n")), nil
	case "tars.dumpstack":
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		s.log.Info("tars server: goroutine dump", "stack", string(buf))
		return string(buf), nil
	case "tars.loadconfig":
		if s.opts.loadConfig == nil {
			return "", servant.NewError(-1, "tars.loadconfig: no config loader registered")
		}
		if args == "" {
			return "", servant.NewError(-1, "usage: tars.loadconfig <file>")
		}
		return s.opts.loadConfig(ctx, args)
	case "tars.help":
		return s.help(), nil
	}
	return cmd + " not support now!", nil
}

func (s *Server) version() string {
	v := s.opts.version
	if v == "" {
		v = "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return v
}

func (s *Server) viewStatus() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version %s\nuptime %s\ngoroutines %d\nloglevel %s\n",
		s.version(), time.Since(s.started).Truncate(time.Second), runtime.NumGoroutine(), levelName(s.level.Level()))
	for _, ad := range s.Adapters() {
		b.WriteString(ad.status())
		b.WriteByte('\n')
	}
	return b.String()
}

// Log level names as TarsGo's tars.setloglevel takes them; NONE silences.
var levelNames = map[string]slog.Level{
	"DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn,
	"ERROR": slog.LevelError, "NONE": slog.LevelError + 100,
}

func levelName(l slog.Level) string {
	for name, v := range levelNames {
		if v == l {
			return name
		}
	}
	return l.String()
}

func (s *Server) setLogLevel(arg string) (string, error) {
	l, ok := levelNames[strings.ToUpper(arg)]
	if !ok {
		return "", servant.NewError(-1, "tars.setloglevel: want INFO, WARN, ERROR, DEBUG or NONE, got "+fmt.Sprintf("%q", arg))
	}
	s.level.Set(l)
	return "set loglevel [" + strings.ToUpper(arg) + "] ok", nil
}

func (s *Server) help() string {
	cmds := []string{"tars.viewversion", "tars.viewstatus", "tars.setloglevel", "tars.connection",
		"tars.dumpstack", "tars.loadconfig", "tars.help"}
	for name := range s.opts.commands {
		cmds = append(cmds, name)
	}
	slices.Sort(cmds)
	return strings.Join(cmds, "\n")
}
