package eval

import (
	"math"
	"testing"
)

func TestComputeRatesByHand(t *testing.T) {
	labels := []int{0, 1, 2, 3, 4}
	clean := []int{0, 1, 2, 0, 0} // images 0, 1, 2 correct
	adv := []int{1, 1, 0, 0, 2}   // wrong: 0, 2, 3, 4; changed: 0, 2, 4

	rates, err := ComputeRates(labels, clean, adv)
	if err != nil {
		t.Fatal(err)
	}

	if rates.Images != 5 {
		t.Errorf("Images = %d, want 5", rates.Images)
	}
	if rates.Correct != 3 {
		t.Errorf("Correct = %d, want 3", rates.Correct)
	}
	if !closeTo(rates.CleanAccuracy, 3.0/5) {
		t.Errorf("CleanAccuracy = %v, want 0.6", rates.CleanAccuracy)
	}
	if !closeTo(rates.SuccessAll, 4.0/5) {
		t.Errorf("SuccessAll = %v, want 0.8", rates.SuccessAll)
	}
	if !closeTo(rates.SuccessCorrect, 2.0/3) {
		t.Errorf("SuccessCorrect = %v, want 2/3", rates.SuccessCorrect)
	}
	if !closeTo(rates.FoolingRate, 3.0/5) {
		t.Errorf("FoolingRate = %v, want 0.6", rates.FoolingRate)
	}
}

func TestComputeRatesEmptySetIsNaN(t *testing.T) {
	rates, err := ComputeRates(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}

	for name, v := range map[string]float64{
		"CleanAccuracy":  rates.CleanAccuracy,
		"SuccessAll":     rates.SuccessAll,
		"SuccessCorrect": rates.SuccessCorrect,
		"FoolingRate":    rates.FoolingRate,
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v for no images, want NaN", name, v)
		}
	}
}

func TestComputeRatesNoneCorrect(t *testing.T) {
	labels := []int{0, 1}
	clean := []int{1, 0}
	adv := []int{1, 1}

	rates, err := ComputeRates(labels, clean, adv)
	if err != nil {
		t.Fatal(err)
	}

	if !math.IsNaN(rates.SuccessCorrect) {
		t.Errorf("SuccessCorrect = %v with no correct image, want NaN", rates.SuccessCorrect)
	}
	if rates.CleanAccuracy != 0 {
		t.Errorf("CleanAccuracy = %v, want 0", rates.CleanAccuracy)
	}
	if !closeTo(rates.SuccessAll, 0.5) {
		t.Errorf("SuccessAll = %v, want 0.5", rates.SuccessAll)
	}
	if !closeTo(rates.FoolingRate, 0.5) {
		t.Errorf("FoolingRate = %v, want 0.5", rates.FoolingRate)
	}
}

func TestComputeRatesLengthMismatch(t *testing.T) {
	if _, err := ComputeRates([]int{0, 1}, []int{0}, []int{0, 1}); err == nil {
		t.Error("clean predictions shorter than labels: no error")
	}
	if _, err := ComputeRates([]int{0, 1}, []int{0, 1}, []int{0, 1, 2}); err == nil {
		t.Error("adversarial predictions longer than labels: no error")
	}
}

func TestAccuracy(t *testing.T) {
	got, err := Accuracy([]int{0, 1, 2, 3}, []int{0, 1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(got, 0.5) {
		t.Errorf("Accuracy = %v, want 0.5", got)
	}

	empty, err := Accuracy(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(empty) {
		t.Errorf("Accuracy of no images = %v, want NaN", empty)
	}

	if _, err := Accuracy([]int{0}, nil); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestPerturbationNormsKnown(t *testing.T) {
	clean := []float32{
		0, 0, 0, 0,
		0.5, 0.5, 0.5, 0.5,
	}
	adv := []float32{
		0.3, 0.4, 0, 0, // L2 0.5, L-infinity 0.4
		0.5, 0.5, 0.5, 0.2, // L2 0.3, L-infinity 0.3
	}

	norms, err := PerturbationNorms(clean, adv, 4)
	if err != nil {
		t.Fatal(err)
	}

	if !closeTo(norms.MeanL2, 0.4) {
		t.Errorf("MeanL2 = %v, want 0.4", norms.MeanL2)
	}
	if !closeTo(norms.MeanLinf, 0.35) {
		t.Errorf("MeanLinf = %v, want 0.35", norms.MeanLinf)
	}
}

func TestPerturbationNormsZeroPerturbation(t *testing.T) {
	images := []float32{0.1, 0.2, 0.3}

	norms, err := PerturbationNorms(images, images, 3)
	if err != nil {
		t.Fatal(err)
	}

	if norms.MeanL2 != 0 {
		t.Errorf("MeanL2 of no perturbation = %v, want 0", norms.MeanL2)
	}
	if norms.MeanLinf != 0 {
		t.Errorf("MeanLinf of no perturbation = %v, want 0", norms.MeanLinf)
	}
}

func TestPerturbationNormsEmptyIsNaN(t *testing.T) {
	norms, err := PerturbationNorms(nil, nil, 4)
	if err != nil {
		t.Fatal(err)
	}

	if !math.IsNaN(norms.MeanL2) {
		t.Errorf("MeanL2 of no images = %v, want NaN", norms.MeanL2)
	}
	if !math.IsNaN(norms.MeanLinf) {
		t.Errorf("MeanLinf of no images = %v, want NaN", norms.MeanLinf)
	}
}

func TestPerturbationNormsInvalidSizes(t *testing.T) {
	if _, err := PerturbationNorms(make([]float32, 4), make([]float32, 3), 1); err == nil {
		t.Error("different lengths: no error")
	}
	if _, err := PerturbationNorms(make([]float32, 5), make([]float32, 5), 2); err == nil {
		t.Error("length not a multiple of the image size: no error")
	}
	if _, err := PerturbationNorms(nil, nil, 0); err == nil {
		t.Error("image size 0: no error")
	}
}
