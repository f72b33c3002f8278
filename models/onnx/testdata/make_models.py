"""Writes the small ONNX models the importer's tests load.

unsupported_op.onnx: Conv then Hardmax (node "squash"), an operator the
importer does not implement. conv_auto_pad.onnx: a Conv node "padded"
with the invalid auto_pad SAME_MIDDLE. ops.onnx runs a batch of 2x5x5 inputs through the supported
operators with options that mnist-8 does not use. These are Conv with a
bias and explicit pads, MaxPool with pads, Add of a rank-1 constant,
Reshape with 0 and -1 from a Constant, MatMul, and Add of a scalar.
normalized.onnx has the operators of typical PyTorch exports: Constant,
Sub, Div, Conv, BatchNormalization, Relu, Identity, Mul, MaxPool,
Flatten, Gemm with and without a bias, GlobalAveragePool and Dropout.
ops_logits.js computes the reference outputs of both. double_input.onnx
takes float64 pixels, which the importer rejects. baked_batch.onnx
declares a symbolic batch axis but reshapes to 1 x 16, so it only runs
one image at a time. bool_mask.onnx keeps the pixels of a bool Constant
mask (stored as raw_data, one byte per element) with Where.

Run from the repository root with Debian's python3-onnx 1.12:

    /usr/bin/python3 models/onnx/testdata/make_models.py models/onnx/testdata
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

OPSET = 13


def save_model(graph, path):
    model = helper.make_model(
        graph,
        producer_name="make_models.py",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    save(model, path)


def weights(name, shape, seed):
    values = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    return numpy_helper.from_array(values, name)


def unsupported_op(path):
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
            helper.make_node("Hardmax", ["c"], ["y"], name="squash"),
        ],
        "unsupported_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 3, 3])],
        [weights("w", [1, 1, 3, 3], 1)],
    )
    save_model(graph, path)


def conv_auto_pad(path):
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="padded", auto_pad="SAME_MIDDLE")],
        "conv_auto_pad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 5, 5])],
        [weights("w", [2, 2, 1, 1], 2)],
    )
    save_model(graph, path)


def ops(path):
    shape = numpy_helper.from_array(np.array([0, -1], dtype=np.int64))
    nodes = [
        helper.make_node("Constant", [], ["shape"], name="shape", value=shape),
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv_pads",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool_pads",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Add", ["p1", "b2"], ["a1"], name="add_rank1"),
        helper.make_node("Reshape", ["a1", "shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "w3"], ["m1"], name="matmul"),
        helper.make_node("Add", ["m1", "b3"], ["y"], name="add_scalar"),
    ]
    graph = helper.make_graph(
        nodes,
        "ops",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [
            weights("w1", [3, 2, 3, 3], 3),
            weights("b1", [3], 4),
            weights("b2", [3], 5),
            weights("w3", [27, 4], 6),
            numpy_helper.from_array(np.array(0.5, dtype=np.float32), "b3"),
        ],
    )
    save_model(graph, path)


def normalized(path):
    nodes = [
        helper.make_node("Constant", [], ["mean"], name="mean",
                         value=numpy_helper.from_array(np.array(0.5, dtype=np.float32))),
        helper.make_node("Sub", ["x", "mean"], ["centered"], name="center"),
        helper.make_node("Div", ["centered", "std"], ["normalized"], name="normalize"),
        helper.make_node("Conv", ["normalized", "w1", "b1"], ["c1"], name="conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mu", "var"],
                         ["n1"], name="norm", epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu"),
        helper.make_node("Identity", ["r1"], ["i1"], name="identity"),
        helper.make_node("Mul", ["i1", "gain"], ["g1"], name="gain"),
        helper.make_node("MaxPool", ["g1"], ["p1"], name="pool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p1"], ["f1"], name="flatten"),
        helper.make_node("Gemm", ["f1", "w2", "b2"], ["d1"], name="dense",
                         transB=1, alpha=0.5, beta=2.0),
        helper.make_node("GlobalAveragePool", ["g1"], ["avg"], name="average"),
        helper.make_node("Flatten", ["avg"], ["f2"], name="flatten_average", axis=-3),
        helper.make_node("Gemm", ["f2", "w3"], ["d2"], name="dense_average"),
        helper.make_node("Add", ["d1", "d2"], ["sum"], name="sum"),
        helper.make_node("Dropout", ["sum"], ["y"], name="dropout"),
    ]
    graph = helper.make_graph(
        nodes,
        "normalized",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [
            numpy_helper.from_array(np.full([1, 1, 1, 1], 0.25, dtype=np.float32), "std"),
            weights("w1", [3, 1, 3, 3], 7),
            weights("b1", [3], 8),
            weights("gamma", [3], 9),
            weights("beta", [3], 10),
            weights("mu", [3], 11),
            numpy_helper.from_array(np.array([0.5, 1.0, 2.0], dtype=np.float32), "var"),
            weights("gain", [3, 1, 1], 12),
            weights("w2", [5, 27], 13),
            weights("b2", [5], 14),
            weights("w3", [3, 5], 15),
        ],
    )
    save_model(graph, path)


def baked_batch(path):
    shape = numpy_helper.from_array(np.array([1, 16], dtype=np.int64), "shape")
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["x", "shape"], ["flat"], name="flatten_one"),
            helper.make_node("MatMul", ["flat", "w"], ["y"], name="dense"),
        ],
        "baked_batch",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [shape, weights("w", [16, 3], 16)],
    )
    save_model(graph, path)


def bool_mask(path):
    mask = np.zeros([1, 1, 4, 4], dtype=bool)
    mask[0, 0, ::2, 1::2] = True
    mask_value = numpy_helper.from_array(mask)
    zero = numpy_helper.from_array(np.array(0, dtype=np.float32))
    graph = helper.make_graph(
        [
            helper.make_node("Constant", [], ["mask"], name="mask", value=mask_value),
            helper.make_node("Constant", [], ["zero"], name="zero", value=zero),
            helper.make_node("Where", ["mask", "x", "zero"], ["masked"], name="select"),
            helper.make_node("Flatten", ["masked"], ["flat"], name="flatten"),
            helper.make_node("MatMul", ["flat", "w"], ["y"], name="dense"),
        ],
        "bool_mask",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [weights("w", [16, 3], 17)],
    )
    save_model(graph, path)


def double_input(path):
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["y"], name="flatten")],
        "double_input",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [1, 4])],
    )
    save_model(graph, path)


def main():
    folder = sys.argv[1]
    unsupported_op(os.path.join(folder, "unsupported_op.onnx"))
    conv_auto_pad(os.path.join(folder, "conv_auto_pad.onnx"))
    ops(os.path.join(folder, "ops.onnx"))
    normalized(os.path.join(folder, "normalized.onnx"))
    double_input(os.path.join(folder, "double_input.onnx"))
    baked_batch(os.path.join(folder, "baked_batch.onnx"))
    bool_mask(os.path.join(folder, "bool_mask.onnx"))


if __name__ == "__main__":
    main()
