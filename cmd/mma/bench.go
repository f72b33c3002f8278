package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mmatransfer/mma/experiments"
	"github.com/mmatransfer/mma/models"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure training, attack and forward throughput, with PyTorch alongside",
		Description: "Times three workloads in Go: the small CNN on 1x28x28 images, ResNet-20 " +
			"and an MMA of four half-width ResNet-20s on 3x32x32 images, each at batch 128: " +
			"one SGD training step, a 10-step MI-FGSM attack and a forward pass, in images " +
			"per second. Where Debian's PyTorch is installed (python3-torch, run with " +
			"/usr/bin/python3), it then runs the same workloads in PyTorch with as many " +
			"threads as Go uses cores, and prints the ratio Go/PyTorch per measurement.",
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "seconds", Value: 5,
				Usage: "minimum time in seconds each measurement repeats for, after one " +
					"warm-up call"},
			&cli.StringSliceFlag{Name: "workload",
				Usage: "workload to run (repeatable); default all: " + workloadList()},
			&cli.IntFlag{Name: "batch", Value: experiments.DefaultBenchBatch,
				Usage: "images per batch"},
			&cli.StringFlag{Name: "python", Value: experiments.DefaultTorchPython,
				Usage: "Python with PyTorch; empty skips PyTorch"},
			&cli.IntFlag{Name: "rounds", Value: 1,
				Usage: "times to run Go and then PyTorch; the table shows the medians, " +
					"which vary less on a shared machine"},
		},
		Action: runBench,
	}
}

func workloadList() string {
	names := make([]string, len(experiments.Workloads))
	for i, w := range experiments.Workloads {
		names[i] = w.Name
	}
	return strings.Join(names, ", ")
}

func runBench(c *cli.Context) error {
	workloads, err := experiments.SelectWorkloads(c.StringSlice("workload"))
	if err != nil {
		return err
	}
	if c.Int("batch") <= 0 {
		return fmt.Errorf("--batch %d: want at least 1", c.Int("batch"))
	}
	if seconds := c.Float64("seconds"); !(seconds >= 0) || math.IsInf(seconds, 1) {
		return fmt.Errorf("--seconds %g: want a finite number, 0 or more", seconds)
	}

	if c.Int("rounds") < 1 {
		return fmt.Errorf("--rounds %d: want at least 1", c.Int("rounds"))
	}

	rep := newReporter(os.Stderr)
	rep.Logf("Go %s, GOMAXPROCS %d, %s, kernels: %s", runtime.Version(),
		runtime.GOMAXPROCS(0), cpuModel(), models.KernelBackend())
	var rounds [][]experiments.BenchResult
	torch := "PyTorch not run"
	for round := 1; round <= c.Int("rounds"); round++ {
		if c.Int("rounds") > 1 {
			rep.Logf("round %d of %d", round, c.Int("rounds"))
		}
		results, version, err := benchRound(c, workloads, rep)
		if err != nil {
			return err
		}
		if version != "" {
			torch = version
		}
		rounds = append(rounds, results)
	}
	medians, err := experiments.MedianResults(rounds)
	if err != nil {
		return err
	}

	fmt.Fprintf(os.Stdout, "Go %s with %d cores (%s), kernels: %s; %s\n",
		runtime.Version(), runtime.GOMAXPROCS(0), cpuModel(), models.KernelBackend(), torch)
	if len(rounds) > 1 {
		fmt.Fprintf(os.Stdout, "medians of %d rounds\n", len(rounds))
	}
	fmt.Fprintln(os.Stdout)
	printBench(os.Stdout, medians)
	return nil
}

// benchRound times the workloads in Go and then, unless --python is
// empty, in PyTorch. It returns PyTorch's version, or "" where PyTorch did
// not run.
func benchRound(c *cli.Context, workloads []experiments.Workload,
	rep *terminalReporter) ([]experiments.BenchResult, string, error) {
	results, err := experiments.Bench(workloads, c.Int("batch"), c.Float64("seconds"), rep)
	if err != nil {
		return nil, "", err
	}
	python := c.String("python")
	if python == "" {
		return results, "", nil
	}
	version, err := experiments.BenchTorch(python, results, c.Float64("seconds"))
	if err != nil {
		rep.Logf("PyTorch did not run, so no ratios: %v (install Debian's python3-torch)", err)
		return results, "", nil
	}
	return results, version, nil
}

// printBench writes one row per workload and measurement.
func printBench(out io.Writer, results []experiments.BenchResult) {
	table := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "workload\tparams\tbatch\tmeasurement\tGo images/s\t"+
		"PyTorch images/s\tGo/PyTorch\t")
	for _, r := range results {
		rows := []struct {
			name  string
			goes  float64
			torch func(*experiments.Rates) float64
		}{
			{"train step", r.Go.Train, func(t *experiments.Rates) float64 { return t.Train }},
			{"MI-FGSM 10 steps", r.Go.MIFGSM, func(t *experiments.Rates) float64 { return t.MIFGSM }},
			{"forward", r.Go.Forward, func(t *experiments.Rates) float64 { return t.Forward }},
		}
		for _, row := range rows {
			torchRate, ratio := "-", "-"
			if r.Torch != nil {
				rate := row.torch(r.Torch)
				torchRate = fmt.Sprintf("%.1f", rate)
				ratio = fmt.Sprintf("%.2fx", row.goes/rate)
			}
			fmt.Fprintf(table, "%s\t%d\t%d\t%s\t%.1f\t%s\t%s\t\n", r.Workload.Name, r.Params,
				r.Batch, row.name, row.goes, torchRate, ratio)
		}
	}
	table.Flush()
}

// cpuModel returns the processor's model name from /proc/cpuinfo, or
// GOARCH where that file is missing.
func cpuModel() string {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(info), "\n") {
		if name, found := strings.CutPrefix(line, "model name"); found {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOARCH
}
