package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/experiments"
	"github.com/mmatransfer/mma/models"
)

func describeCommand() *cli.Command {
	return &cli.Command{
		Name:      "describe",
		Usage:     "print the layers, parameters and multiply-adds of a backbone and its MMA",
		ArgsUsage: "[--input CxHxW] [--classes N] ARCH",
		Description: "Prints the layer table of ARCH and of the model it is compared with " +
			"(the backbone of an MMA, or the default MMA of a backbone), each layer's " +
			"output shape, parameters and multiply-adds per image, the totals, and the " +
			"MMA's overhead as a ratio of the backbone's. Multiply-adds count the " +
			"multiply-accumulates of conv and linear layers (a conv: Out x H' x W' x C x " +
			"K x K); biases, BatchNorm, activations, pooling and skip additions count 0. " +
			"Backbones: " + strings.Join(models.SpecNames, ", ") + ".",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Value: "3x32x32",
				Usage: "image shape CxHxW, such as 1x28x28 for MNIST"},
			&cli.IntFlag{Name: "classes", Value: 10, Usage: "number of classes"},
		},
		Action: runDescribe,
	}
}

func runDescribe(c *cli.Context) error {
	if c.NArg() > 1 && strings.HasPrefix(c.Args().Get(1), "-") {
		return fmt.Errorf("flags must come before ARCH, as in "+
			"'mma describe --input 1x28x28 %s'", c.Args().First())
	}
	if c.NArg() != 1 {
		return fmt.Errorf("describe takes one ARCH, such as resnet20 or resnet20/mma:k=4; "+
			"got %d arguments", c.NArg())
	}
	input, err := parseShape(c.String("input"))
	if err != nil {
		return err
	}
	backbone, multiTrack, err := experiments.DescribePair(c.Args().First(), input,
		c.Int("classes"))
	if err != nil {
		return err
	}

	out := os.Stdout
	printDescription(out, backbone)
	fmt.Fprintln(out)
	printDescription(out, multiTrack)
	fmt.Fprintf(out, "\n%s against %s: %.2fx the parameters, %.2fx the multiply-adds\n",
		multiTrack.Arch, backbone.Arch,
		float64(multiTrack.Cost.Params)/float64(backbone.Cost.Params),
		float64(multiTrack.Cost.MultiplyAdds)/float64(backbone.Cost.MultiplyAdds))
	return nil
}

// parseShape reads a shape written CxHxW.
func parseShape(s string) ([]int, error) {
	fields := strings.Split(s, "x")
	if len(fields) != 3 {
		return nil, fmt.Errorf("--input %q: want CxHxW, such as 3x32x32", s)
	}
	shape := make([]int, 3)
	for i, field := range fields {
		value, err := strconv.Atoi(field)
		if err != nil || value <= 0 {
			return nil, fmt.Errorf("--input %q: %q is not a positive whole number", s, field)
		}
		shape[i] = value
	}
	return shape, nil
}

func printDescription(out io.Writer, d *experiments.Description) {
	fmt.Fprintf(out, "%s on %s images, %d classes\n", d.Arch, formatShape(d.Input),
		d.Classes)
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(table, "layer\tkind\toutput\t%10s\t%14s\n", "params", "multiply-adds")
	for _, layer := range d.Cost.Layers {
		fmt.Fprintf(table, "%s\t%s\t%s\t%10s\t%14s\n", layer.Name, layer.Kind,
			formatShape(layer.Output), thousands(int64(layer.Params)),
			thousands(layer.MultiplyAdds))
	}
	fmt.Fprintf(table, "total\t\t\t%10s\t%14s\n", thousands(int64(d.Cost.Params)),
		thousands(d.Cost.MultiplyAdds))
	table.Flush()
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	digits := strconv.FormatInt(n, 10)
	var grouped strings.Builder
	for i, digit := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(digit)
	}
	return grouped.String()
}
