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
