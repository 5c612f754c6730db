// Decode once vs decode per point, side by side in one run: 6 input sizes of NanoDet-m on 40 images, each
// sweep cold (fresh cache folder). Then the thread split: the study's onnxruntime threads (1 or 2) beside
// the image worker, which decodes and resizes in its own thread while the main thread runs inference.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPath } from '../src/data-dir.ts';
import { getFamily } from '../src/detection/families/index.ts';
import { prepareImage } from '../src/detection/image.ts';
import { workerPreparer } from '../src/detection/preparer.ts';
import { createDetectorSession } from '../src/detection/session.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { realStages } from '../src/study/real-stages.ts';
import { runStudy } from '../src/study/runner.ts';
import { parseStudy } from '../src/study/schema.ts';
import { median, timingLines, type SweepTiming } from '../src/study/timing.ts';

const study = parseStudy(
  {
    name: 'bench-throughput',
    models: [{ id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' }],
    data: { coco: '${data}/coco206', images: 40, shardSize: 20 },
    inputScaling: { sizes: [224, 256, 288, 320, 352, 384] },
  },
  join(tmpdir(), 'bench-throughput.json'),
);

async function sweep(label: string, threads: number, decodedCacheBytes?: number): Promise<SweepTiming> {
  const out = mkdtempSync(join(tmpdir(), 'flopmap-bench-tp-'));
  try {
    const load = loadavg()[0]!.toFixed(1);
    const results = await runStudy(study, { outDir: out, stages: realStages(threads), threads, decodedCacheBytes });
    const t = results.timing!;
    console.log(`${label} (threads ${threads}, load ${load}): wall ${t.wall.toFixed(2)} s`);
    for (const line of timingLines(t)) console.log(`  ${line}`);
    return t;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const perPoint = await sweep('decode per point', 1, 0);
const once = await sweep('decode once', 1);
console.log(`decode once vs per point (6 sizes x 40 images): ${(perPoint.wall / once.wall).toFixed(2)}x faster wall, ` +
  `${perPoint.imagesDecoded} -> ${once.imagesDecoded} decodes, worker decode ${perPoint.decode.toFixed(1)} s -> ${once.decode.toFixed(1)} s`);
const two = await sweep('decode once', 2);
console.log(`onnxruntime threads 2 vs 1 beside the image worker: wall ${(once.wall / two.wall).toFixed(2)}x, ` +
  `median-latency bound ${once.inferenceBound.toFixed(2)} s -> ${two.inferenceBound.toFixed(2)} s, ` +
  `wall/bound ${once.wallOverInference?.toFixed(2)}x -> ${two.wallOverInference?.toFixed(2)}x`);

// The split: the main thread runs onnxruntime with the study's threads, the image worker decodes and resizes
// in one more thread. With 2 threads on 2 cores the worker competes with inference; onnxruntime's idle
// intra-op threads spin by default between runs, taking the core the worker needs. Side by side: 80
// NanoDet-m runs at 2 threads while the worker decodes images (no cache), spinning on vs off.
const family = getFamily('nanodet');
const model = loadModel(dataPath('models', 'nanodet_m_320.onnx'));
const images = readdirSync(dataPath('coco206', 'val2017')).filter((f) => f.endsWith('.jpg')).sort().slice(0, 40).map((f) => dataPath('coco206', 'val2017', f));
async function inferBesideDecoding(spinning: boolean): Promise<{ wall: number; medianMs: number }> {
  const session = await createDetectorSession(model, 'nanodet', 2, { spinning });
  const worker = workerPreparer();
  try {
    await worker.ready;
    const input = await prepareImage(images[0]!, family.resizeSpec(320), family.pixelFormat);
    const latencies: number[] = [];
    const t0 = performance.now();
    const decoding = Promise.all(images.map((f) => worker.prepare(f, family.resizeSpec(320), family.pixelFormat)));
    for (let i = 0; i < 80; i++) {
      const t = performance.now();
      await session.run(input.tensor, input.dims);
      latencies.push(performance.now() - t);
    }
    await decoding;
    return { wall: (performance.now() - t0) / 1000, medianMs: median(latencies) };
  } finally {
    await session.release();
    await worker.close();
  }
}
const spin = await inferBesideDecoding(true);
const sleep = await inferBesideDecoding(false);
const spin2 = await inferBesideDecoding(true);
const sleep2 = await inferBesideDecoding(false);
console.log(`inference (2 threads) beside decoding 40 images, load ${loadavg()[0]!.toFixed(1)}: spinning ${spin.wall.toFixed(2)} / ${spin2.wall.toFixed(2)} s ` +
  `(median run ${spin.medianMs.toFixed(1)} / ${spin2.medianMs.toFixed(1)} ms), sleeping ${sleep.wall.toFixed(2)} / ${sleep2.wall.toFixed(2)} s ` +
  `(median run ${sleep.medianMs.toFixed(1)} / ${sleep2.medianMs.toFixed(1)} ms) -> ${((spin.wall + spin2.wall) / (sleep.wall + sleep2.wall)).toFixed(2)}x`);
