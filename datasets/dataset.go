// Package datasets reads image classification data sets (MNIST-format IDX,
// CIFAR binary, folders of PNG and JPEG files) and serves them as float32
// pixels in [0, 1].
package datasets

// Dataset is a labelled image set read one example at a time, so that a
// large set never has to be held as float32 all at once.
type Dataset interface {
	// Len returns the number of examples.
	Len() int

	// Shape returns the image shape C x H x W.
	Shape() []int

	// Classes returns the number of classes; labels are 0..Classes-1.
	Classes() int

	// Example writes image i as C*H*W float32 pixels in [0, 1], in
	// channel, row, column order, into dst and returns its label.
	Example(i int, dst []float32) (label int, err error)
}
