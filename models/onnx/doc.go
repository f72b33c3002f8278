// Package onnx imports ONNX classifiers as models.Classifier and
// models.Differentiable. github.com/owulveryck/onnx-go decodes the file
// into this package's backend, which records each node, and the package
// builds a gorgonia graph from those nodes, so imported models give input
// gradients to attacks.
//
// Supported operators of the default domain, tested on PyTorch 1.13
// exports at opsets 9 to 17 and on ONNX's node tests:
//   - Conv (2-D, any pads, strides, dilations and groups, so depthwise
//     convolutions too), MaxPool and AveragePool (2-D, pads, ceil_mode,
//     count_include_pad), GlobalAveragePool, GlobalMaxPool.
//   - Gemm (transA, transB, alpha, beta, optional C) and MatMul with
//     numpy's rules (vectors, and broadcast batch axes as in attention).
//   - Add, Sub, Mul, Div, Pow, Max, Min and Sum with numpy broadcasting of
//     any rank. Relu, LeakyRelu, Elu, Clip (ReLU6), HardSigmoid,
//     HardSwish, Sigmoid, Tanh, Softplus, Erf (GELU), Sqrt, Exp, Log, Neg,
//     Abs, Reciprocal.
//   - BatchNormalization (inference), LayerNormalization, Softmax and
//     LogSoftmax (with the axis rule of the model's opset), ReduceMean,
//     ReduceSum, ReduceMax, ReduceMin.
//   - Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Split,
//     Gather (with constant indices), Concat, Expand, Pad (constant,
//     reflect and edge).
//   - Where (constant condition) and ScatterND (constant indices).
//   - Shape, ConstantOfShape, Constant, Cast, Range, Mod, Equal, Less,
//     Greater, Not, And, Or (on constants, as shape arithmetic and masks
//     need), Identity, Dropout (the identity).
//
// Values known at load time, such as a Reshape's target computed by Shape,
// Gather, Unsqueeze and Concat, are folded to constants while the graph is
// built for a given batch size. Any operator, attribute or shape that the
// package cannot build fails when the model is loaded, with an
// *UnsupportedError that names the operator, the node and the opset.
//
// When the model's batch axis is symbolic, a batch runs through one graph
// built and cached for its size. Models that fix the batch at 1, such as
// mnist-8 or a model whose Reshape target starts with 1, run image by image.
// MNIST8 returns the ONNX Model Zoo's MNIST network, which ships inside the
// package.
package onnx
