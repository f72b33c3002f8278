package experiments

import (
	"strings"
	"testing"
)

func TestParseTorchRates(t *testing.T) {
	results := []BenchResult{
		{Workload: Workload{Name: "mnist-smallcnn"}},
		{Workload: Workload{Name: "cifar-resnet20"}},
	}
	output := "# torch 1.13.0, 2 threads\n" +
		"workload,params,batch,train,mifgsm10,forward\n" +
		"mnist-smallcnn,421642,128,334.50,39.10,890.30\n"

	version, err := parseTorchRates([]byte(output), results)
	if err != nil {
		t.Fatal(err)
	}
	if version != "torch 1.13.0, 2 threads" {
		t.Errorf("version = %q", version)
	}
	torch := results[0].Torch
	if torch == nil || torch.Train != 334.5 || torch.MIFGSM != 39.1 || torch.Forward != 890.3 {
		t.Errorf("mnist-smallcnn rates = %+v, want 334.5, 39.1, 890.3", torch)
	}
	if results[1].Torch != nil {
		t.Errorf("cifar-resnet20 has rates %+v, but PyTorch printed none", results[1].Torch)
	}

	_, err = parseTorchRates([]byte("mnist-smallcnn,1,128,fast,1,1\n"), results)
	if err == nil || !strings.Contains(err.Error(), "fast") {
		t.Errorf("error = %v, want one quoting the bad line", err)
	}
}

func TestSelectWorkloads(t *testing.T) {
	all, err := SelectWorkloads(nil)
	if err != nil || len(all) != len(Workloads) {
		t.Errorf("no names gives %d workloads, %v; want all %d", len(all), err, len(Workloads))
	}
	one, err := SelectWorkloads([]string{"cifar-resnet20"})
	if err != nil || len(one) != 1 || one[0].Arch != "resnet20" {
		t.Errorf("cifar-resnet20 gives %+v, %v", one, err)
	}
	_, err = SelectWorkloads([]string{"imagenet"})
	if err == nil || !strings.Contains(err.Error(), "mnist-smallcnn") {
		t.Errorf("error = %v, want one listing the known workloads", err)
	}
}

func TestBenchWorkloadRuns(t *testing.T) {
	results, err := Bench(Workloads[:1], 4, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rates := results[0].Go
	if rates.Train <= 0 || rates.MIFGSM <= 0 || rates.Forward <= 0 {
		t.Errorf("rates = %+v, want every one positive", rates)
	}
	if results[0].Params != 421642 {
		t.Errorf("params = %d, want the small CNN's 421,642", results[0].Params)
	}
}

func TestMedianResults(t *testing.T) {
	round := func(train, torchTrain float64) []BenchResult {
		result := BenchResult{Workload: Workload{Name: "cifar-resnet20"},
			Go: Rates{Train: train, MIFGSM: 2 * train, Forward: 3 * train}}
		if torchTrain > 0 {
			result.Torch = &Rates{Train: torchTrain}
		}
		return []BenchResult{result}
	}

	medians, err := MedianResults([][]BenchResult{round(10, 100), round(30, 0), round(20, 300)})
	if err != nil {
		t.Fatal(err)
	}
	got := medians[0]
	if got.Go.Train != 20 || got.Go.MIFGSM != 40 || got.Go.Forward != 60 {
		t.Errorf("Go medians = %+v, want 20, 40, 60", got.Go)
	}
	if got.Torch == nil || got.Torch.Train != 200 {
		t.Errorf("PyTorch median = %+v, want train 200 (mean of the middle two of 100, 300)",
			got.Torch)
	}

	other := round(1, 0)
	other[0].Workload.Name = "mnist-smallcnn"
	if _, err := MedianResults([][]BenchResult{round(1, 0), other}); err == nil {
		t.Error("rounds with different workloads gave no error")
	}
}

func TestParseTorchRatesWithoutRows(t *testing.T) {
	results := []BenchResult{{Workload: Workload{Name: "mnist-smallcnn"}}}
	if _, err := parseTorchRates(nil, results); err == nil {
		t.Error("empty output gave no error")
	}
	if _, err := parseTorchRates([]byte("# torch 1.13\nworkload,a,b,c,d,e\n"), results); err == nil {
		t.Error("output with a header and no rows gave no error")
	}
}

func TestSelectWorkloadsOnce(t *testing.T) {
	selected, err := SelectWorkloads([]string{"cifar-resnet20", "cifar-resnet20"})
	if err != nil {
		t.Fatal(err)
	}
	if len(selected) != 1 {
		t.Errorf("a workload named twice is selected %d times, want once", len(selected))
	}
}
