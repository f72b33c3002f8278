package experiments

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math/rand"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorgonia.org/tensor"

	"github.com/mmatransfer/mma/attacks"
	"github.com/mmatransfer/mma/models"
)

// torchWorkloads is the PyTorch script of the same workloads, run by
// BenchTorch.
//
//go:embed torchbench/workloads.py
var torchWorkloads []byte

// Workload is a model and batch that Bench times.
type Workload struct {
	// Name identifies the workload in tables and in the PyTorch script.
	Name string

	// Arch is the architecture string of the Go model.
	Arch string

	// Input is the image shape C x H x W.
	Input []int

	// Eps is the L-infinity budget of the MI-FGSM measurement.
	Eps float32
}

// Workloads are the standard workloads: the small CNN on MNIST-sized
// images, ResNet-20 and its MMA of four ResNet-20s at half width (mean
// fusion, no auxiliary loss, as the PyTorch script trains it) on
// CIFAR-sized images.
var Workloads = []Workload{
	{Name: "mnist-smallcnn", Arch: "smallcnn", Input: []int{1, 28, 28}, Eps: 0.3},
	{Name: "cifar-resnet20", Arch: "resnet20", Input: []int{3, 32, 32}, Eps: 16.0 / 255},
	{Name: "cifar-resnet20-mma4", Arch: "resnet20/mma:k=4,aux=0", Input: []int{3, 32, 32},
		Eps: 16.0 / 255},
}

// DefaultBenchBatch is the batch size of every measurement.
const DefaultBenchBatch = 128

// Rates are the images per second of a workload's three measurements.
type Rates struct {
	// Train is one SGD step (learning rate 0.01, momentum 0.9) on a batch.
	Train float64
	// MIFGSM is a 10-step MI-FGSM attack on a batch.
	MIFGSM float64
	// Forward is the logits of a batch.
	Forward float64
}

// BenchResult is one workload's measurements.
type BenchResult struct {
	Workload Workload
	Params   int
	Batch    int
	Go       Rates

	// Torch holds PyTorch's rates, or nil where PyTorch did not run.
	Torch *Rates
}

// Bench times every workload in Go, repeating each measurement for at
// least seconds after one warm-up call.
func Bench(workloads []Workload, batch int, seconds float64, rep Reporter) ([]BenchResult, error) {
	rep = orSilent(rep)
	var results []BenchResult
	for _, w := range workloads {
		result, err := benchWorkload(w, batch, seconds)
		if err != nil {
			return nil, fmt.Errorf("bench %s: %w", w.Name, err)
		}
		rep.Logf("%s: train %.1f, MI-FGSM %.1f, forward %.1f images/s", w.Name,
			result.Go.Train, result.Go.MIFGSM, result.Go.Forward)
		results = append(results, result)
	}
	return results, nil
}

func benchWorkload(w Workload, batch int, seconds float64) (BenchResult, error) {
	model, _, _, err := BuildModel(w.Arch, w.Input, 10, 1)
	if err != nil {
		return BenchResult{}, err
	}
	x, labels := randomBatch(batch, w.Input)
	trainer, err := models.NewTrainer(model, models.TrainConfig{Optimizer: models.OptimizerSGD})
	if err != nil {
		return BenchResult{}, err
	}
	attack := attacks.MIFGSM{Eps: w.Eps, Steps: 10}

	result := BenchResult{Workload: w, Params: countParams(model.Params()), Batch: batch}
	measurements := []struct {
		rate *float64
		run  func() error
	}{
		{&result.Go.Train, func() error { _, err := trainer.Step(x, labels); return err }},
		{&result.Go.MIFGSM, func() error { _, err := attack.Perturb(model, x, labels); return err }},
		{&result.Go.Forward, func() error { _, err := model.Logits(x); return err }},
	}
	for _, m := range measurements {
		if *m.rate, err = imagesPerSecond(m.run, batch, seconds); err != nil {
			return BenchResult{}, err
		}
	}
	return result, nil
}

// randomBatch returns a batch of random images of the given shape, with
// pixels in [0, 1], and random labels in [0, 10).
func randomBatch(batch int, shape []int) (*tensor.Dense, []int) {
	rng := rand.New(rand.NewSource(0))
	pixels := make([]float32, batch*shape[0]*shape[1]*shape[2])
	for i := range pixels {
		pixels[i] = rng.Float32()
	}
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.Intn(10)
	}
	x := tensor.New(tensor.WithShape(batch, shape[0], shape[1], shape[2]),
		tensor.WithBacking(pixels))
	return x, labels
}

// imagesPerSecond times run after one warm-up call, repeating it for at
// least seconds.
func imagesPerSecond(run func() error, images int, seconds float64) (float64, error) {
	if err := run(); err != nil {
		return 0, err
	}
	calls, start := 0, time.Now()
	for {
		if err := run(); err != nil {
			return 0, err
		}
		calls++
		if elapsed := time.Since(start).Seconds(); elapsed >= seconds {
			return float64(calls*images) / elapsed, nil
		}
	}
}

// DefaultTorchPython is the Python that BenchTorch runs: Debian's, where
// the package python3-torch installs PyTorch.
const DefaultTorchPython = "/usr/bin/python3"

// BenchTorch runs the PyTorch script of the workloads with python, using
// as many threads as Go uses cores, and adds its rates to results. It
// returns the PyTorch version line, or an error saying why PyTorch could
// not run.
func BenchTorch(python string, results []BenchResult, seconds float64) (string, error) {
	names := make([]string, len(results))
	for i, r := range results {
		names[i] = r.Workload.Name
	}
	batch := DefaultBenchBatch
	if len(results) > 0 {
		batch = results[0].Batch
	}

	// The script goes in on standard input ("-"), so no file is left
	// behind if mma stops before Python does.
	command := exec.Command(python, "-",
		"--threads", strconv.Itoa(runtime.GOMAXPROCS(0)),
		"--seconds", strconv.FormatFloat(seconds, 'g', -1, 64),
		"--batch", strconv.Itoa(batch),
		"--only", strings.Join(names, ","))
	command.Stdin = bytes.NewReader(torchWorkloads)
	var stderr bytes.Buffer
	command.Stderr = &stderr
	output, err := runWithParent(command)
	if err != nil {
		reason := lastLine(stderr.String())
		if reason == "" {
			reason = "no message on standard error"
		}
		return "", fmt.Errorf("run %s on the PyTorch workloads script: %w: %s", python, err,
			reason)
	}
	return parseTorchRates(output, results)
}

// parseTorchRates reads the script's CSV rows into results and returns its
// version comment.
func parseTorchRates(output []byte, results []BenchResult) (string, error) {
	version, rows := "", 0
	scanner := bufio.NewScanner(bytes.NewReader(output))
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") {
			version = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) != 6 || fields[0] == "workload" {
			continue
		}
		var rates [3]float64
		for i := range rates {
			value, err := strconv.ParseFloat(fields[3+i], 64)
			if err != nil {
				return "", fmt.Errorf("PyTorch output line %q: %w", line, err)
			}
			rates[i] = value
		}
		rows++
		for i := range results {
			if results[i].Workload.Name == fields[0] {
				results[i].Torch = &Rates{Train: rates[0], MIFGSM: rates[1], Forward: rates[2]}
			}
		}
	}
	if err := scanner.Err(); err != nil {
		return "", err
	}
	if rows == 0 {
		return "", fmt.Errorf("PyTorch printed no rates (want CSV rows such as %q)",
			"mnist-smallcnn,421642,128,2000.0,200.0,5000.0")
	}
	return version, nil
}

func lastLine(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return lines[len(lines)-1]
}

// SelectWorkloads returns the workloads named in names (all of them when
// names is empty).
func SelectWorkloads(names []string) ([]Workload, error) {
	if len(names) == 0 {
		return Workloads, nil
	}
	var selected []Workload
	seen := make(map[string]bool)
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		found := false
		for _, w := range Workloads {
			if w.Name == name {
				selected, found = append(selected, w), true
			}
		}
		if !found {
			known := make([]string, len(Workloads))
			for i, w := range Workloads {
				known[i] = w.Name
			}
			return nil, fmt.Errorf("unknown workload %q, want one of %s", name,
				strings.Join(known, ", "))
		}
	}
	return selected, nil
}

// MedianResults combines several rounds of the same workloads into one
// result per workload whose rates are the medians over the rounds, Go and
// PyTorch apart. PyTorch's median covers the rounds where it ran, and is
// nil if it ran in none. Every round must list the same workloads in the
// same order.
func MedianResults(rounds [][]BenchResult) ([]BenchResult, error) {
	if len(rounds) == 0 {
		return nil, nil
	}
	medians := make([]BenchResult, len(rounds[0]))
	copy(medians, rounds[0])
	for i := range medians {
		var goRates, torchRates []Rates
		for r, round := range rounds {
			if len(round) != len(medians) || round[i].Workload.Name != medians[i].Workload.Name {
				return nil, fmt.Errorf("round %d lists other workloads than round 0", r)
			}
			goRates = append(goRates, round[i].Go)
			if round[i].Torch != nil {
				torchRates = append(torchRates, *round[i].Torch)
			}
		}
		medians[i].Go = medianRates(goRates)
		medians[i].Torch = nil
		if len(torchRates) > 0 {
			torch := medianRates(torchRates)
			medians[i].Torch = &torch
		}
	}
	return medians, nil
}

// medianRates returns the median of each measurement over rates; with an
// even count, the mean of the middle two.
func medianRates(rates []Rates) Rates {
	median := func(pick func(Rates) float64) float64 {
		values := make([]float64, len(rates))
		for i, r := range rates {
			values[i] = pick(r)
		}
		sort.Float64s(values)
		middle := len(values) / 2
		if len(values)%2 == 0 {
			return (values[middle-1] + values[middle]) / 2
		}
		return values[middle]
	}
	return Rates{
		Train:   median(func(r Rates) float64 { return r.Train }),
		MIFGSM:  median(func(r Rates) float64 { return r.MIFGSM }),
		Forward: median(func(r Rates) float64 { return r.Forward }),
	}
}
