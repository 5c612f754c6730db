// Whole detection pipeline (sharp decode + resize + NCHW + onnxruntime + decode + NMS, image i+1 decoded while
// image i runs) against bare session.run on the same images' precomputed tensors, side by side in one process.
// Goal: pipeline overhead under 10% of the bare inference time.
import { join } from 'node:path';
import { dataPath, hasSharedData } from '../src/data-dir.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { getFamily, type FamilyName } from '../src/scaling/families/index.ts';
import { detectImages, type ImageJob } from '../src/scaling/detect.ts';
import { prepareImage, type PreparedInput } from '../src/scaling/image.ts';
import { listAnnotatedImages, resolveCocoDir } from '../src/scaling/coco-dir.ts';
import { createDetectorSession, type DetectorSession } from '../src/scaling/session.ts';

const ROUNDS = 3;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

interface Timing {
  seconds: number;
  /** CPU time of this process (all threads: onnxruntime, sharp, JavaScript), in seconds. */
  cpu: number;
}

async function timeIt(fn: () => Promise<unknown>): Promise<Timing> {
  const t = performance.now();
  const c = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(c);
  return { seconds: (performance.now() - t) / 1000, cpu: (used.user + used.system) / 1e6 };
}

async function bench(modelFile: string, familyName: FamilyName, jobs: ImageJob[], size = getFamily(familyName).defaultSize, rounds = ROUNDS): Promise<void> {
  const family = getFamily(familyName);
  const session: DetectorSession = await createDetectorSession(loadModel(dataPath('models', modelFile)), modelFile, THREADS);
  const tensors: PreparedInput[] = [];
  const prepareTime = await timeIt(async () => {
    for (const job of jobs) tensors.push(await prepareImage(job.path, family.resizeSpec(size), family.pixelFormat));
  });
  const bare = async () => {
    for (const t of tensors) await session.run(t.tensor, t.dims);
  };
  const pipeline = () => detectImages(session, jobs, { family, size, decode: family.defaults, modelLabel: modelFile });
  await bare(); // warm-up: first runs allocate
  let bestBare: Timing = { seconds: Infinity, cpu: 0 };
  let bestPipeline: Timing = { seconds: Infinity, cpu: 0 };
  // Interleaved rounds, so that load from other processes colours both sides alike; best of each.
  for (let r = 0; r < rounds; r++) {
    const b = await timeIt(bare);
    if (b.seconds < bestBare.seconds) bestBare = b;
    const p = await timeIt(pipeline);
    if (p.seconds < bestPipeline.seconds) bestPipeline = p;
  }
  await session.release();
  const n = jobs.length;
  const ms = (t: number) => ((1000 * t) / n).toFixed(1);
  console.log(`${modelFile}: ${n} images at ${size}, ${THREADS} onnxruntime thread(s), best of ${rounds} interleaved rounds`);
  console.log(`  bare session.run   ${(n / bestBare.seconds).toFixed(1).padStart(6)} images/s  (${ms(bestBare.seconds)} ms/image wall, ${ms(bestBare.cpu)} ms CPU)`);
  console.log(`  whole pipeline     ${(n / bestPipeline.seconds).toFixed(1).padStart(6)} images/s  (${ms(bestPipeline.seconds)} ms/image wall, ${ms(bestPipeline.cpu)} ms CPU)`);
  console.log(`  image decode+resize+tensor alone: ${ms(prepareTime.cpu)} ms CPU/image (overlapped with inference in the pipeline)`);
  console.log(`  pipeline/bare time ratio ${(bestPipeline.seconds / bestBare.seconds).toFixed(3)} (overhead ${(100 * (bestPipeline.seconds / bestBare.seconds - 1)).toFixed(1)}%, goal < 10%)`);
}

if (!hasSharedData()) {
  console.log('pipeline bench skipped: no shared data (../shared/data or $FLOPMAP_DATA)');
} else {
  const { imagesDir, annotationsPath } = resolveCocoDir(dataPath('coco'));
  const jobs = listAnnotatedImages(annotationsPath).slice(0, 40).map((e) => ({ id: e.id, path: join(imagesDir, e.fileName) }));
  await bench('nanodet_m_320.onnx', 'nanodet', jobs);
  await bench('yolox_nano_416.onnx', 'yolox', jobs);
  // The study's detector: inference dominates (zero weights, but the real graph and its real cost).
  await bench('retinanet_r50_fpn_zero.onnx', 'retinanet', jobs.slice(0, 4), 512, 2);
}
