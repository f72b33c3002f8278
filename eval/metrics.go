package eval

import (
	"fmt"
	"math"
)

// Rates are the success rates of one attack against one target, each a
// fraction in [0, 1]. A rate whose denominator is zero is NaN, because
// 0 would read as "the attack never succeeded" and hide the empty set.
type Rates struct {
	// Images is the number of images N.
	Images int

	// Correct is the number of images the target classified correctly
	// before the attack.
	Correct int

	// CleanAccuracy is Correct / N.
	CleanAccuracy float64

	// SuccessAll is the attack success rate over all images: the number
	// of images misclassified under attack divided by N, which is
	// 1 - accuracy under attack. Images misclassified before the attack
	// count as successes.
	SuccessAll float64

	// SuccessCorrect is the attack success rate over the images the
	// target classified correctly before the attack: among those Correct
	// images, the fraction misclassified under attack.
	SuccessCorrect float64

	// FoolingRate is the number of images whose adversarial prediction
	// differs from their clean prediction, divided by N. It does not
	// look at labels.
	FoolingRate float64
}

// ComputeRates computes every rate from the true labels, the target's
// predictions on the clean images and its predictions on the adversarial
// images, all of length N and in the same image order. It returns an error
// if the lengths differ.
func ComputeRates(labels, clean, adv []int) (Rates, error) {
	if len(clean) != len(labels) || len(adv) != len(labels) {
		return Rates{}, fmt.Errorf("compute rates: %d labels, %d clean predictions, "+
			"%d adversarial predictions, want equal lengths", len(labels), len(clean), len(adv))
	}

	var correct, wrongUnderAttack, flippedCorrect, changed int
	for i, label := range labels {
		if clean[i] == label {
			correct++
			if adv[i] != label {
				flippedCorrect++
			}
		}
		if adv[i] != label {
			wrongUnderAttack++
		}
		if adv[i] != clean[i] {
			changed++
		}
	}

	n := len(labels)
	return Rates{
		Images:         n,
		Correct:        correct,
		CleanAccuracy:  ratio(correct, n),
		SuccessAll:     ratio(wrongUnderAttack, n),
		SuccessCorrect: ratio(flippedCorrect, correct),
		FoolingRate:    ratio(changed, n),
	}, nil
}

// Accuracy returns the fraction of predictions equal to their label, or
// NaN when there are no labels. It returns an error if the lengths differ.
func Accuracy(labels, predictions []int) (float64, error) {
	if len(predictions) != len(labels) {
		return 0, fmt.Errorf("accuracy: %d labels, %d predictions, want equal lengths",
			len(labels), len(predictions))
	}

	correct := 0
	for i, label := range labels {
		if predictions[i] == label {
			correct++
		}
	}
	return ratio(correct, len(labels)), nil
}

// ratio returns part / whole, or NaN when whole is zero.
func ratio(part, whole int) float64 {
	if whole == 0 {
		return math.NaN()
	}
	return float64(part) / float64(whole)
}

// Norms are the mean sizes of a set's perturbations (adversarial minus
// clean pixels), in pixel units: pixels lie in [0, 1], so MeanLinf lies in
// [0, 1] and MeanL2 in [0, sqrt(C*H*W)]. Both are NaN for an empty set.
type Norms struct {
	// MeanL2 is the mean over images of the L2 norm of the perturbation.
	MeanL2 float64

	// MeanLinf is the mean over images of the L-infinity norm (largest
	// absolute pixel change) of the perturbation.
	MeanLinf float64
}

// PerturbationNorms computes the mean L2 and L-infinity norms of adv - clean
// per image. clean and adv hold N images of imageSize = C*H*W pixels each,
// in the same order. Sums run in float64. It returns an error if the
// lengths differ or are not a multiple of imageSize.
func PerturbationNorms(clean, adv []float32, imageSize int) (Norms, error) {
	if imageSize <= 0 {
		return Norms{}, fmt.Errorf("perturbation norms: image size %d, want > 0", imageSize)
	}
	if len(clean) != len(adv) || len(clean)%imageSize != 0 {
		return Norms{}, fmt.Errorf("perturbation norms: %d clean and %d adversarial pixels, "+
			"want equal lengths that are a multiple of the image size %d",
			len(clean), len(adv), imageSize)
	}

	n := len(clean) / imageSize
	if n == 0 {
		return Norms{MeanL2: math.NaN(), MeanLinf: math.NaN()}, nil
	}

	var sumL2, sumLinf float64
	for i := range n {
		l2, linf := imageNorms(clean[i*imageSize:(i+1)*imageSize], adv[i*imageSize:(i+1)*imageSize])
		sumL2 += l2
		sumLinf += linf
	}
	return Norms{MeanL2: sumL2 / float64(n), MeanLinf: sumLinf / float64(n)}, nil
}

// imageNorms returns the L2 and L-infinity norms of adv - clean.
func imageNorms(clean, adv []float32) (l2, linf float64) {
	var squares float64
	for j, c := range clean {
		d := math.Abs(float64(adv[j]) - float64(c))
		squares += d * d
		linf = math.Max(linf, d)
	}
	return math.Sqrt(squares), linf
}
