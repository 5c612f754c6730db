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

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function bench(modelFile: string, familyName: FamilyName, jobs: ImageJob[]): Promise<void> {
  const family = getFamily(familyName);
  const size = family.defaultSize;
  const session: DetectorSession = await createDetectorSession(loadModel(dataPath('models', modelFile)), modelFile, THREADS);
  const tensors: PreparedInput[] = [];
  for (const job of jobs) tensors.push(await prepareImage(job.path, family.resizeSpec(size), family.pixelFormat));
  const bare = async () => {
    for (const t of tensors) await session.run(t.tensor, t.dims);
  };
  const pipeline = () => detectImages(session, jobs, { family, size, decode: family.defaults, modelLabel: modelFile });
  await bare(); // warm-up: first runs allocate
  let bestBare = Infinity;
  let bestPipeline = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    bestBare = Math.min(bestBare, await timeIt(bare));
    bestPipeline = Math.min(bestPipeline, await timeIt(pipeline));
  }
  await session.release();
  const n = jobs.length;
  console.log(
    `${modelFile.padEnd(22)} ${n} images, ${THREADS} ORT thread(s), best of ${ROUNDS}: ` +
      `bare session.run ${(n / bestBare).toFixed(1)} images/s, pipeline ${(n / bestPipeline).toFixed(1)} images/s, ` +
      `pipeline/bare time ratio ${(bestPipeline / bestBare).toFixed(3)} (overhead ${(100 * (bestPipeline / bestBare - 1)).toFixed(1)}%)`,
  );
}

if (!hasSharedData()) {
  console.log('pipeline bench skipped: no shared data (../shared/data or $FLOPMAP_DATA)');
} else {
  const { imagesDir, annotationsPath } = resolveCocoDir(dataPath('coco'));
  const jobs = listAnnotatedImages(annotationsPath).slice(0, 40).map((e) => ({ id: e.id, path: join(imagesDir, e.fileName) }));
  await bench('nanodet_m_320.onnx', 'nanodet', jobs);
  await bench('yolox_nano_416.onnx', 'yolox', jobs);
}
