// Command medialabel hashes images, keeps banks of known content, matches
// uploads against them, classifies captions and serves all of it over HTTP.
//
// The wiring of the packages happens here and nowhere else: each subcommand
// opens what it needs (the store, the model, the index) from the global
// flags and hands it to the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses, as the interface specifies.
const (
	exitOK      = 0
	exitPartial = 1 // some inputs failed; the rest were processed
	exitUsage   = 2 // usage or configuration error
)

// exitError carries an exit status out of a command. A command that has
// already reported its failures (per-file error records) returns
// exitError{code: exitPartial} with a nil err.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a usage or configuration error (exit status 2).
func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// globals holds the global flags and the process's standard streams, so
// that commands can be run from tests without touching the real ones.
type globals struct {
	db        string
	logFormat string
	logLevel  string

	stdin          io.Reader
	stdout, stderr io.Writer
	stderrIsTTY    bool
	logger         *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, stderrIsTTY: isTerminal(stderr)}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "medialabel: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors from cobra itself (unknown flag, wrong argument count) are
	// usage errors; so is anything a command did not classify.
	fmt.Fprintf(stderr, "medialabel: %v\n", err)
	if isCobraUsage(err) {
		return exitUsage
	}
	return exitPartial
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "medialabel",
		Short:         "Label media for trust-and-safety teams: perceptual hashes, meme banks, caption scores",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(g.stderr, g.logFormat, g.logLevel)
			if err != nil {
				return usageError(err)
			}
			g.logger = logger
			return nil
		},
	}
	defDB := os.Getenv("MEDIALABEL_DB")
	if defDB == "" {
		defDB = "medialabel.db"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.db, "db", defDB, "bank store: a SQLite file path, or a postgres:// URL (env MEDIALABEL_DB)")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")

	root.AddCommand(
		newHashCmd(g),
		newDBCmd(g),
		newMatchCmd(g),
		newClassifyCmd(g),
		newEvalCmd(g),
		newTrainCmd(g),
		newServeCmd(g),
	)
	return root
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
