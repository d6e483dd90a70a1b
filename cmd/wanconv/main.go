// Command wanconv converts a Wan2.2 PyTorch release into MLX safetensors
// (package convert does the work). This package is the command line: flag
// parsing (cli.go), the progress decision (a redrawn bar on a terminal,
// log lines otherwise, nothing with --quiet), signals and exit statuses.
// --verify runs the verifier (cmd/internal/verifycli over package verify) on
// the output, with forward passes in `-tags mlx` builds.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(wanconv(os.Args[1:], os.Stdout, os.Stderr))
}

// wanconv is the command with its real signal handling: SIGINT and SIGTERM
// cancel the conversion (its temporary files are removed, exit 130).
func wanconv(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptible()
	defer stop()
	return run(ctx, args, stdout, stderr)
}

// interruptible is a context cancelled by the first SIGINT or SIGTERM;
// after it a second signal kills the process outright (a kill at any
// instant is recovered by the next run).
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
