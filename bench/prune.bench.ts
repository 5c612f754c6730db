// Norm-only channel pruning vs pruning with least-squares reconstruction, at the same MACs budget (one
// uniform ratio on every coupled group, so both prune the same number of channels in the same places):
// Torch-Pruning issue 147 reports detectors collapsing under norm-only pruning (mAP 79.1 -> 26.2 at 10%
// channel sparsity). Prints MACs, output error on calibration images and AP on the first BENCH_IMAGES
// (default 206) coco206 images, side by side, with the time each takes. NanoDet-m (BENCH_MODEL=yolox for YOLOX-Nano).
import { dataPath } from '../src/data-dir.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { runDetection } from '../src/detection/run.ts';
import { loadCalibrationImages } from '../src/variants/calibration.ts';
import { prune } from '../src/variants/prune/index.ts';

const which = process.env.BENCH_MODEL === 'yolox' ? 'yolox' : 'nanodet';
const file = which === 'yolox' ? 'yolox_nano_416.onnx' : 'nanodet_m_320.onnx';
const size = which === 'yolox' ? 416 : 320;
const limit = Number(process.env.BENCH_IMAGES ?? 206);
const model = loadModel(dataPath('models', file));
// 24 calibration images keep the bench short (the command's default is all 96; the comparison is side by side at 24).
const images = await loadCalibrationImages(dataPath('coco', 'calib'), which, size, Number(process.env.BENCH_CALIB ?? 24));
const coco = { imagesDir: dataPath('coco206', 'val2017'), annotationsPath: dataPath('coco206', 'instances_val2017_206.json') };

async function ap(m: typeof model): Promise<number> {
  const run = await runDetection({ modelPath: m, family: which, ...coco, limit });
  return run.stats.AP;
}

const rows: string[] = [];
const original = await ap(model);
rows.push(`original            ${(100).toFixed(1).padStart(5)}%  error      -   AP ${(100 * original).toFixed(1)}`);
for (const [label, refit, choice] of [['norm-only (L1)', false, 'l1'], ['L1 + refit', true, 'l1'], ['greedy + refit', true, 'greedy']] as const) {
  const t = performance.now();
  const out = await prune(model, { family: which, flops: 0.8, choice, allocation: 'uniform', refit, images });
  const seconds = (performance.now() - t) / 1000;
  const a = await ap(out.model);
  rows.push(`${label.padEnd(18)}  ${((100 * out.macsAfter) / out.macsBefore).toFixed(1).padStart(5)}%  error ${out.error.total.toFixed(3).padStart(6)}  AP ${(100 * a).toFixed(1)}  (${seconds.toFixed(0)} s to prune)`);
  console.log(rows.at(-1));
}
console.log(`\n${which} at --flops 0.8, uniform ratio, ${limit} coco206 images (output error: relative squared, scores + boxes):`);
for (const r of rows) console.log(`  ${r}`);
