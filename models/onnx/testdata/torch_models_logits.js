// Computes the reference logits of the models make_torch_models.py
// exports: each model runs in ONNX Runtime (npm onnxruntime-node, CPU) on
// the first image alone and on all 4 images as one batch, and both must
// agree with PyTorch's logits within 1e-5. It reads torch_models.json and
// writes torch_models_logits.json in the given folder.
//
// How it was run, from the repository root, after installing the runtime
// outside the repository:
//
//   mkdir -p /tmp/ort && (cd /tmp/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node)
//   NODE_PATH=/tmp/ort/node_modules node models/onnx/testdata/torch_models_logits.js \
//     models/onnx/testdata
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const TORCH_TOLERANCE = 1e-5;

async function logits(session, pixels, shape) {
  const input = new ort.Tensor('float32', pixels, shape);
  const result = await session.run({ [session.inputNames[0]]: input });
  return Array.from(result[session.outputNames[0]].data);
}

async function main() {
  const folder = process.argv[2];
  const fixture = JSON.parse(fs.readFileSync(path.join(folder, 'torch_models.json')));
  const [batch, ...image] = fixture.shape;
  const size = image.reduce((a, b) => a * b, 1);
  const pixels = Float32Array.from(fixture.bytes, (b) => Math.fround(b / 255));

  const out = {
    runtime: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    shape: fixture.shape,
    bytes: fixture.bytes,
    models: {},
  };
  for (const [file, model] of Object.entries(fixture.models)) {
    const session = await ort.InferenceSession.create(path.join(folder, file));
    const all = await logits(session, pixels, fixture.shape);
    const first = await logits(session, pixels.slice(0, size), [1, ...image]);
    let worst = 0;
    all.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - model.torch[i])); });
    first.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - model.torch[i])); });
    if (worst > TORCH_TOLERANCE) {
      throw new Error(`${file}: ONNX Runtime differs from PyTorch by ${worst}`);
    }
    out.models[file] = { batch1: first, batch: all, torchDifference: worst };
  }
  fs.writeFileSync(path.join(folder, 'torch_models_logits.json'), JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
