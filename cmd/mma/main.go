// Command mma trains surrogate models, crafts adversarial examples on them
// and measures how well those examples transfer to other models, including
// black-box targets imported from ONNX. Its centre is the multi-track
// model architecture (MMA): a backbone decomposed into parallel tracks and
// fused again.
//
// Run "mma help" for the commands and "mma help COMMAND" for their flags.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	go reportInterrupt()
	app := newApp()
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "mma: %v\n", err)
		var exit cli.ExitCoder
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "mma",
		Usage: "transferability of adversarial examples with multi-track surrogate models",
		Description: "Train surrogates (backbones and their multi-track MMAs), attack them " +
			"with FGSM, I-FGSM, PGD and MI-FGSM under an L-infinity budget, and evaluate " +
			"how the adversarial examples transfer to other models, such as ONNX " +
			"imports. 'mma reproduce --preset mnist-quick' runs the whole path in minutes.",
		Commands: []*cli.Command{
			reproduceCommand(),
			trainCommand(),
			attackCommand(),
			evalCommand(),
			describeCommand(),
			benchCommand(),
			datasetsCommand(),
			zooCommand(),
			exportCommand(),
		},
		HideHelpCommand:      false,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {},
	}
}

// reportInterrupt waits for Ctrl-C or SIGTERM and exits, saying what is
// left on disk. Every file is written to a temporary name and renamed
// when complete, so nothing half-written remains.
func reportInterrupt() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	received := <-signals
	fmt.Fprintf(os.Stderr, "\nmma: stopped by %v; files already written are complete, and "+
		"reproduce and zoo resume where they stopped when run again with the same "+
		"flags\n", received)
	os.Exit(130)
}
