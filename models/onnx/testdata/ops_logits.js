// Computes the fixture ops_logits.json: the outputs of ops.onnx (written by
// make_models.py) for 3 inputs of 2x5x5 pixels in [0, 1], run by ONNX
// Runtime (npm onnxruntime-node 1.31.1, CPU) as a reference.
//
// How it was run, from the repository root (see mnist8_logits.js for the
// install):
//
//   NODE_PATH=/tmp/ort/node_modules node models/onnx/testdata/ops_logits.js \
//     models/onnx/testdata/ops.onnx > models/onnx/testdata/ops_logits.json
'use strict';

const ort = require('onnxruntime-node');

const BATCH = 3;
const SIZE = 2 * 5 * 5;

async function main() {
  const session = await ort.InferenceSession.create(process.argv[2]);

  // Deterministic pixels spread over [0, 1].
  const pixels = Float32Array.from({ length: BATCH * SIZE }, (_, i) => ((i * 37) % 101) / 100);
  const input = new ort.Tensor('float32', pixels, [BATCH, 2, 5, 5]);
  const output = await session.run({ x: input });

  const fixture = {
    model: 'ops.onnx',
    runtime: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    shape: [BATCH, 2, 5, 5],
    pixels: Array.from(pixels),
    outputs: Array.from(output.y.data),
  };
  process.stdout.write(JSON.stringify(fixture) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
