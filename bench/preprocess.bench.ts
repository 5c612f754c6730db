// Image -> network input, per family: the former sharp-only path (sharp's linear resize and canvas extend,
// colour profiles converted) against the reference path flopmap now uses (sharp decode without profiles, then
// OpenCV's / torch's resize arithmetic in JavaScript), on the same images side by side in one process.
import { loadGroundTruth } from '../src/coco-eval/index.ts';
import { join } from 'node:path';
import sharp from 'sharp';
import { dataPath } from '../src/data-dir.ts';
import { prepareReferenceInput } from '../src/detection/reference-input.ts';
import { listAnnotatedImages, resolveCocoDir } from '../src/detection/coco-dir.ts';
import { getFamily, type FamilyName } from '../src/detection/families/index.ts';
import { resizeGeometry, toNchw, type PixelFormat, type ResizeSpec } from '../src/detection/image.ts';

const ROUNDS = 3;
const IMAGES = 20;

/** The pipeline before issue 15: sharp resizes (linear kernel) and pads; whole-pixel centring. */
async function sharpPath(path: string, spec: ResizeSpec, format: PixelFormat): Promise<Float32Array> {
  const image = sharp(path, { sequentialRead: true });
  const meta = await image.metadata();
  const geo = resizeGeometry(meta.width ?? 1, meta.height ?? 1, spec);
  const left = Math.floor(geo.offsetX);
  const top = Math.floor(geo.offsetY);
  let pipeline = image.removeAlpha().toColourspace('srgb').resize(geo.contentWidth, geo.contentHeight, { fit: 'fill', kernel: 'linear' });
  if (spec.mode === 'letterbox') {
    const v = spec.padValue;
    pipeline = pipeline.extend({
      left,
      top,
      right: geo.inputWidth - geo.contentWidth - left,
      bottom: geo.inputHeight - geo.contentHeight - top,
      background: { r: v, g: v, b: v },
    });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return toNchw(data, info.width, info.height, geo.inputWidth, geo.inputHeight, format);
}

async function timeAll(paths: string[], run: (p: string) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  for (const p of paths) await run(p);
  return (performance.now() - t) / paths.length;
}

const { imagesDir, annotationsPath } = resolveCocoDir(dataPath('coco206'));
const paths = listAnnotatedImages(loadGroundTruth(annotationsPath)).slice(0, IMAGES).map((e) => join(imagesDir, e.fileName));
const cases: [FamilyName, number][] = [['nanodet', 320], ['yolox', 416], ['retinanet', 512], ['retinanet', 800]];
console.log(`image -> input tensor, ms per image (decode + resize + tensor, awaited one at a time), ${paths.length} coco206 images, best of ${ROUNDS} interleaved rounds`);
for (const [name, size] of cases) {
  const family = getFamily(name);
  const spec = family.resizeSpec(size);
  const old = (p: string) => sharpPath(p, spec, family.pixelFormat);
  const exact = (p: string) => prepareReferenceInput(p, spec, family.pixelFormat);
  await timeAll(paths.slice(0, 3), old); // warm-up (JIT, sharp's thread pool)
  await timeAll(paths.slice(0, 3), exact);
  let bestOld = Infinity;
  let bestExact = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    bestOld = Math.min(bestOld, await timeAll(paths, old));
    bestExact = Math.min(bestExact, await timeAll(paths, exact));
  }
  console.log(
    `  ${`${name}@${size}`.padEnd(14)} sharp path ${bestOld.toFixed(1).padStart(6)} ms   reference path ${bestExact.toFixed(1).padStart(6)} ms   reference/sharp ${(bestExact / bestOld).toFixed(2)}x`,
  );
}
