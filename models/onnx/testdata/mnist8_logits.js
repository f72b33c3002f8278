// Computes the fixture mnist8_logits.json: the logits of mnist-8.onnx for
// the first 8 MNIST test images, run by ONNX Runtime (npm onnxruntime-node
// 1.31.1, CPU), as an independent reference for the Go importer.
//
// The model gets pixels in [0, 1] (byte / 255 as float32), the scale it
// expects. The fixture stores the raw bytes and the logits.
//
// How it was run, from the repository root:
//
//   mkdir /tmp/ort && cd /tmp/ort && npm init -y &&
//     ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
//   NODE_PATH=/tmp/ort/node_modules node models/onnx/testdata/mnist8_logits.js \
//     models/onnx/mnist-8.onnx ../shared/data/mnist/t10k-images-idx3-ubyte.gz \
//     ../shared/data/mnist/t10k-labels-idx1-ubyte.gz > models/onnx/testdata/mnist8_logits.json
'use strict';

const fs = require('fs');
const zlib = require('zlib');
const ort = require('onnxruntime-node');

const IMAGES = 8;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

// readIDX returns the payload of a gzipped IDX file after its header.
function readIDX(path, headerBytes) {
  return zlib.gunzipSync(fs.readFileSync(path)).subarray(headerBytes);
}

async function main() {
  const [modelPath, imagesPath, labelsPath] = process.argv.slice(2);
  const images = readIDX(imagesPath, 16);
  const labels = readIDX(labelsPath, 8);
  const session = await ort.InferenceSession.create(modelPath);

  const fixture = { model: 'mnist-8.onnx', runtime: 'onnxruntime-node ' + require(
    'onnxruntime-node/package.json').version, scale: 1, images: [] };
  for (let i = 0; i < IMAGES; i++) {
    const bytes = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    const pixels = Float32Array.from(bytes, (v) => v / 255);
    const input = new ort.Tensor('float32', pixels, [1, 1, SIDE, SIDE]);
    const output = await session.run({ Input3: input });
    fixture.images.push({
      label: labels[i],
      bytes: Array.from(bytes),
      logits: Array.from(output.Plus214_Output_0.data),
    });
  }
  process.stdout.write(JSON.stringify(fixture) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
