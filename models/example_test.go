package models_test

import (
	"fmt"

	"github.com/mmatransfer/mma/datasets"
	"github.com/mmatransfer/mma/models"
)

// ExampleTrainModel builds the small CNN for 28x28 grey images, trains it
// for one epoch and measures its accuracy.
func ExampleTrainModel() {
	var train, test datasets.Dataset // for instance MNIST read by package datasets

	spec := models.SmallCNN([]int{1, 28, 28}, 10)
	model, err := models.NewModelFromSpec(spec, 1)
	if err != nil {
		fmt.Println(err)
		return
	}

	report, err := models.TrainModel(model, train, models.TrainConfig{Optimizer: "adam", Seed: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	accuracy, err := models.Accuracy(model, test, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.3f, test accuracy %.3f\n", report.EpochLoss[0], accuracy)
}
