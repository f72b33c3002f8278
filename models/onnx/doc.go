// Package onnx imports ONNX classifiers as models.Classifier and
// models.Differentiable. github.com/owulveryck/onnx-go decodes the file
// into this package's backend, which records each node, and the package
// builds a gorgonia graph for one image from those nodes, so imported
// models give input gradients to attacks.
//
// Supported operators of the default domain:
//   - Conv and MaxPool: 2-D, symmetric padding, dilations 1; Conv with
//     group 1, MaxPool with ceil_mode 0 and no Indices output.
//   - Add, Sub, Mul, Div: numpy broadcasting up to rank 4.
//   - MatMul (two matrices) and Gemm.
//   - BatchNormalization (inference, statistics from initializers),
//     GlobalAveragePool, Relu, Identity, Dropout (the identity).
//   - Reshape (target shape from an initializer or Constant), Flatten,
//     Constant (its value attribute).
//
// Any other operator, attribute or shape fails when the model is loaded,
// with an *UnsupportedError that names the operator, the node and the
// opset.
//
// The graph is built for a batch of one, as models such as mnist-8 fix
// their batch size in a Reshape; Logits and InputGradient run a batch image
// by image. MNIST8 returns the ONNX Model Zoo's MNIST network, which ships
// inside the package.
package onnx
