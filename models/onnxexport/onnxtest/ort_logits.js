// Runs ONNX models in onnxruntime-node and writes their logits.
//
// Usage: node ort_logits.js JOBS.json
//
// JOBS.json is a list of {"model", "input", "shape", "output"}: the .onnx
// file, a file of little-endian float32 pixels, their N x C x H x W shape
// and the file to write the logits to (little-endian float32, row-major),
// with the output's dimensions in OUTPUT.shape.json.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function run(job) {
  const session = await ort.InferenceSession.create(job.model);
  const bytes = fs.readFileSync(job.input);
  const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const feeds = { input: new ort.Tensor('float32', pixels, job.shape) };
  const result = await session.run(feeds);
  const logits = result.logits;
  fs.writeFileSync(job.output, Buffer.from(logits.data.buffer, logits.data.byteOffset,
    logits.data.byteLength));
  fs.writeFileSync(job.output + '.shape.json', JSON.stringify(logits.dims));
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of jobs) {
    await run(job);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
