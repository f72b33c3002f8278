package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/datasets"
)

func datasetsCommand() *cli.Command {
	return &cli.Command{
		Name:  "datasets",
		Usage: "list the known data sets, where they were found and their sizes",
		Description: "Tries to read every known data set (" +
			strings.Join(datasets.Names(), ", ") + ") from the subfolders of --data-dir " +
			"named after it (mnist, fashion-mnist, cifar10, cifar-10-batches-bin, ...), " +
			"from --data-dir itself, then from its default place, and prints for each " +
			"where it was found, its training and test sizes, image shape and classes, " +
			"or why it was not found and how to get it. A folder of MNIST-format files " +
			"counts as both mnist and fashion-mnist. Sets are read in full, which takes " +
			"a few seconds.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir",
				Usage: "folder to search, itself and its subfolders named after the sets; " +
					"empty means only the default places"},
			&cli.BoolFlag{Name: "coarse",
				Usage: "read CIFAR-100 with its 20 coarse labels instead of 100 fine ones"},
		},
		Action: runDatasets,
	}
}

func runDatasets(c *cli.Context) error {
	opts := datasets.Options{Coarse: c.Bool("coarse")}
	found := datasets.Discover(c.String("data-dir"), opts)
	return printAvailability(c.App.Writer, found)
}

// printAvailability writes a table of the data sets, then for each set not
// found the reason and how to get it.
func printAvailability(out io.Writer, sets []datasets.Availability) error {
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "NAME\tFOUND\tTRAIN\tTEST\tSHAPE\tCLASSES\tFOLDER")
	for _, set := range sets {
		if !set.Found {
			fmt.Fprintf(table, "%s\tno\t-\t-\t-\t-\t-\n", set.Name)
			continue
		}
		fmt.Fprintf(table, "%s\tyes\t%d\t%d\t%s\t%d\t%s\n", set.Name, set.TrainLen,
			set.TestLen, formatShape(set.Shape), set.Classes, set.Dir)
	}
	if err := table.Flush(); err != nil {
		return err
	}

	for _, set := range sets {
		if set.Found {
			continue
		}
		// With no folder searched, the error is that of the default place,
		// and it already contains the hint.
		if len(set.Searched) == 0 {
			fmt.Fprintf(out, "\n%s: %v\n", set.Name, set.Err)
			continue
		}
		fmt.Fprintf(out, "\n%s not found in %s\n  error: %v\n  to get it: %s\n",
			set.Name, strings.Join(set.Searched, ", "), set.Err, set.Hint)
	}
	return nil
}

// formatShape writes a shape as C x H x W, such as 3x32x32.
func formatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}
