// Computes the reference outputs of a small test model written by
// make_models.py: its first output for 3 deterministic inputs of pixels in
// [0, 1], run one image at a time by ONNX Runtime (npm onnxruntime-node
// 1.31.1, CPU).
//
// How it was run, from the repository root (see mnist8_logits.js for the
// install):
//
//   export NODE_PATH=/tmp/ort/node_modules
//   node models/onnx/testdata/ops_logits.js models/onnx/testdata/ops.onnx 2 5 5 \
//     > models/onnx/testdata/ops_logits.json
//   node models/onnx/testdata/ops_logits.js models/onnx/testdata/normalized.onnx 1 6 6 \
//     > models/onnx/testdata/normalized_logits.json
'use strict';

const path = require('path');
const ort = require('onnxruntime-node');

const BATCH = 3;

async function main() {
  const [modelPath, ...dims] = process.argv.slice(2);
  const imageShape = dims.map(Number);
  const size = imageShape.reduce((a, b) => a * b, 1);
  const session = await ort.InferenceSession.create(modelPath);

  // Deterministic pixels spread over [0, 1].
  const pixels = Float32Array.from({ length: BATCH * size }, (_, i) => ((i * 37) % 101) / 100);
  const outputs = [];
  for (let i = 0; i < BATCH; i++) {
    const image = pixels.slice(i * size, (i + 1) * size);
    const input = new ort.Tensor('float32', image, [1, ...imageShape]);
    const result = await session.run({ [session.inputNames[0]]: input });
    outputs.push(...result[session.outputNames[0]].data);
  }

  const fixture = {
    model: path.basename(modelPath),
    runtime: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    shape: [BATCH, ...imageShape],
    pixels: Array.from(pixels),
    outputs: outputs,
  };
  process.stdout.write(JSON.stringify(fixture) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
