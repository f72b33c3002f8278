package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/experiments"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write a trained model as an ONNX file",
		Description: "Rebuilds the model of a checkpoint the toolkit wrote (a backbone, an " +
			"MMA or a zoo member) and writes it as ONNX opset 13: input \"input\", float32 " +
			"N x C x H x W pixels in [0, 1] with a symbolic batch size N, output " +
			"\"logits\", N x classes. BatchNorm layers use their running statistics.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "checkpoint to export (.ckpt)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "ONNX file to write (.onnx)"},
		},
		Action: runExport,
	}
}

func runExport(c *cli.Context) error {
	if err := experiments.ExportCheckpoint(c.String("model"), c.String("out")); err != nil {
		return err
	}
	newReporter(os.Stderr).Logf("wrote %s", c.String("out"))
	return nil
}
