// Whole detection pipeline (sharp decode + resize + NCHW in a worker thread, image i+1 decoded while image i
// runs; onnxruntime + decode + NMS on the main thread) against bare session.run on the same images'
// precomputed tensors, side by side in one process. Goal: pipeline overhead under 10% of the bare inference.
// The overlap needs a second free core: the bench measures how many cores this process gets right now and
// prints the two bounds (full overlap, no overlap) next to the measured ratio.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { dataPath } from '../src/data-dir.ts';
import { loadModel } from '../src/onnx/model-io.ts';
import { getFamily, type FamilyName } from '../src/detection/families/index.ts';
import { detectImages, type ImageJob } from '../src/detection/detect.ts';
import { toImageDetections } from '../src/detection/boxes.ts';
import { prepareImage, type PreparedInput } from '../src/detection/image.ts';
import { loadGroundTruth } from '../src/coco-eval/index.ts';
import { listAnnotatedImages, resolveCocoDir } from '../src/detection/coco-dir.ts';
import { createDetectorSession, type DetectorSession } from '../src/detection/session.ts';
import { workerPreparer } from '../src/detection/preparer.ts';

const ROUNDS = 3;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);

/** Cores this process gets right now: CPU time / wall time of two threads spinning for 300 ms. */
async function freeCores(): Promise<number> {
  const spin = 'const t = Date.now(); while (Date.now() - t < 300);';
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all([0, 1].map(() => new Promise((resolve) => new Worker(spin, { eval: true }).on('exit', resolve))));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / 1000 / (performance.now() - start);
}

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
  // One image worker for all rounds (runDetection starts one per run; its start-up is not per image).
  const preparer = workerPreparer();
  await preparer.ready;
  const pipeline = () => detectImages(session, jobs, { family, size, decode: family.defaults, modelLabel: modelFile, preparer });
  // Warm-up (first runs allocate), keeping the outputs to time the post-processing on its own.
  const outputs: Awaited<ReturnType<DetectorSession['run']>>[] = [];
  for (const t of tensors) outputs.push(await session.run(t.tensor, t.dims));
  const postProcess = async () => {
    outputs.forEach((out, i) => {
      const input = tensors[i];
      const geometry = { inputHeight: input.dims[2], inputWidth: input.dims[3], contentHeight: input.contentHeight, contentWidth: input.contentWidth };
      toImageDetections(family.decode(out, geometry, family.defaults), input.transform, family.categoryId, family.clipToImage);
    });
  };
  await postProcess(); // JIT warm-up
  const postTime = await timeIt(postProcess);
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
  await preparer.close();
  const n = jobs.length;
  const ms = (t: number) => ((1000 * t) / n).toFixed(1);
  console.log(`${modelFile}: ${n} images at ${size}, ${THREADS} onnxruntime thread(s), best of ${rounds} interleaved rounds`);
  console.log(`  bare session.run   ${(n / bestBare.seconds).toFixed(1).padStart(6)} images/s  (${ms(bestBare.seconds)} ms/image wall, ${ms(bestBare.cpu)} ms CPU)`);
  console.log(`  whole pipeline     ${(n / bestPipeline.seconds).toFixed(1).padStart(6)} images/s  (${ms(bestPipeline.seconds)} ms/image wall, ${ms(bestPipeline.cpu)} ms CPU)`);
  console.log(`  image decode+resize+tensor alone: ${ms(prepareTime.cpu)} ms CPU/image (in a worker thread, overlapped with inference in the pipeline)`);
  console.log(`  output decode+NMS alone:          ${ms(postTime.seconds)} ms/image (main thread, after each inference)`);
  // Post-processing runs on the main thread after each inference: it never overlaps.
  const overlapped = Math.max(bestBare.seconds + postTime.seconds, prepareTime.cpu) / bestBare.seconds;
  const serial = (bestBare.seconds + postTime.seconds + prepareTime.cpu) / bestBare.seconds;
  console.log(`  pipeline/bare time ratio ${(bestPipeline.seconds / bestBare.seconds).toFixed(3)} (overhead ${(100 * (bestPipeline.seconds / bestBare.seconds - 1)).toFixed(1)}%, goal < 10%)`);
  console.log(`  bounds: ${overlapped.toFixed(3)} with decoding fully overlapped, ${serial.toFixed(3)} with none (free cores measured: ${(await freeCores()).toFixed(2)})`);
}

{
  const { imagesDir, annotationsPath } = resolveCocoDir(dataPath('coco'));
  const jobs = listAnnotatedImages(loadGroundTruth(annotationsPath)).slice(0, 40).map((e) => ({ id: e.id, path: join(imagesDir, e.fileName) }));
  await bench('nanodet_m_320.onnx', 'nanodet', jobs);
  await bench('yolox_nano_416.onnx', 'yolox', jobs);
  // The study's detector: inference dominates (zero weights, but the real graph and its real cost).
  await bench('retinanet_r50_fpn_zero.onnx.gz', 'retinanet', jobs.slice(0, 4), 512, 2);
}
