package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/experiments"
)

func zooCommand() *cli.Command {
	return &cli.Command{
		Name:  "zoo",
		Usage: "train a default set of diverse target models and export them to ONNX",
		Description: "Trains six target families on the data set (an MLP, smallcnn, " +
			"vgg11-w0.25, resnet8, a wide and shallow CNN and a GELU CNN), each with its own " +
			"seed, writes each as NAME.ckpt and NAME.onnx to DIR, and writes manifest.json " +
			"and manifest.md with architecture, parameters, multiply-adds, clean test " +
			"accuracy, epochs, seed, training time and each ONNX file's SHA-256. Members " +
			"already finished in DIR with the same settings are reused, so a stopped run " +
			"resumes. The defaults took 9 minutes for MNIST and 12 for Fashion-MNIST on " +
			"2 busy cores.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Required: true, Usage: "folder DIR to write the zoo to"},
			&cli.IntFlag{Name: "epochs", Value: experiments.DefaultZooEpochs,
				Usage: "passes over the training images, for every member"},
			&cli.IntFlag{Name: "train-images", Value: experiments.DefaultZooTrainImages,
				Usage: "train on the first N training images; 0 means all"},
			&cli.IntFlag{Name: "accuracy-images",
				Usage: "measure accuracy on the first N test images; 0 means all"},
		}, dataFlags()...),
		Action: runZoo,
	}
}

func runZoo(c *cli.Context) error {
	if c.Int("epochs") <= 0 || c.Int("train-images") < 0 || c.Int("accuracy-images") < 0 {
		return fmt.Errorf("--epochs must be positive and --train-images and "+
			"--accuracy-images not negative; got %d, %d and %d", c.Int("epochs"),
			c.Int("train-images"), c.Int("accuracy-images"))
	}
	data, err := loadData(c)
	if err != nil {
		return err
	}
	members, err := experiments.DefaultZoo(data.Train.Shape(), data.Train.Classes())
	if err != nil {
		return err
	}
	for i := range members {
		members[i].Config.Epochs = c.Int("epochs")
		members[i].Config.Limit = c.Int("train-images")
	}

	rep := newReporter(os.Stderr)
	dir := c.String("out")
	manifest, err := experiments.BuildZoo(experiments.ZooOptions{Data: data, Dir: dir,
		Members: members, AccuracyImages: c.Int("accuracy-images")}, rep)
	if err != nil {
		return err
	}
	for _, m := range manifest.Members {
		rep.Logf("%-12s %6.2f%% clean accuracy, %d parameters, %s", m.Name,
			100*m.TestAccuracy, m.Parameters, filepath.Join(dir, m.ONNX))
	}
	rep.Logf("wrote %s and %s", filepath.Join(dir, experiments.ZooManifestJSON),
		filepath.Join(dir, experiments.ZooManifestMarkdown))
	return nil
}
