// Calibration images for fitting: a few COCO images (never the evaluation ones) preprocessed exactly as the
// detector family expects, at the model's input size.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../errors.ts';
import { getFamily, type FamilyName } from '../detection/families/index.ts';
import { prepareImage } from '../detection/image.ts';

export interface CalibrationImage {
  file: string;
  tensor: Float32Array;
  dims: [number, number, number, number];
}

const IMAGE_FILE = /\.(jpe?g|png)$/i;

/** DIR/calib when it exists (a COCO data folder), else DIR itself; it must hold images. */
export function resolveCalibrationDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fileError(dir, 'calibration folder not found');
  const calib = join(dir, 'calib');
  const chosen = existsSync(calib) && statSync(calib).isDirectory() ? calib : dir;
  if (!readdirSync(chosen).some((f) => IMAGE_FILE.test(f))) throw fileError(chosen, 'no calibration images (.jpg/.png) in this folder');
  return chosen;
}

/**
 * The images training may use: DIR/calib and DIR/unlabeled where they exist (a COCO data folder: 96 + 209 COCO
 * train2017 images, disjoint from every evaluation image), else DIR's own images; sorted within each folder.
 * Distillation and pruning's refit read these (a light head's fit reads DIR/calib only).
 */
export function listTrainingImages(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw fileError(dir, 'training image folder not found');
  const subs = ['calib', 'unlabeled'].map((s) => join(dir, s)).filter((d) => existsSync(d) && statSync(d).isDirectory());
  const folders = subs.length > 0 ? subs : [dir];
  const files = folders.flatMap((f) => readdirSync(f).filter((n) => IMAGE_FILE.test(n)).sort().map((n) => join(f, n)));
  if (files.length === 0) throw fileError(dir, 'no images (.jpg/.png) in this folder (or its calib/ and unlabeled/)');
  return files;
}

/** The image files a fit on `dir` reads, in the order it reads them (sorted by name). */
export function listCalibrationImages(dir: string): string[] {
  const folder = resolveCalibrationDir(dir);
  return readdirSync(folder).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => join(folder, f));
}

/** The last sets loaded, reused by every light head fitted on the same images (and so by fit.ts's shared captures). */
const recent = new Map<string, Promise<CalibrationImage[]>>();
const RECENT_SETS = 2;

/**
 * The first `count` images of `dir` (sorted by name), preprocessed for `family` at `size`. The same call
 * again gives the same array (read-only), so that the variants of one model share their calibration work.
 */
export function loadCalibrationImages(dir: string, family: FamilyName, size: number, count: number): Promise<CalibrationImage[]> {
  return loadImages(listCalibrationImages(dir).slice(0, count), family, size);
}

/** `files` preprocessed for `family` at `size`; the same files again give the same array (read-only). */
export function loadImages(files: readonly string[], family: FamilyName, size: number): Promise<CalibrationImage[]> {
  const key = JSON.stringify([family, size, files.map((f) => [f, statSync(f).size, statSync(f).mtimeMs])]);
  let set = recent.get(key);
  if (!set) {
    set = readCalibrationImages(files, family, size);
    set.catch(() => recent.delete(key));
    recent.set(key, set);
    for (const old of recent.keys()) if (recent.size > RECENT_SETS) recent.delete(old);
  }
  return set;
}

async function readCalibrationImages(files: readonly string[], family: FamilyName, size: number): Promise<CalibrationImage[]> {
  const spec = getFamily(family);
  const images: CalibrationImage[] = [];
  for (const file of files) {
    const prepared = await prepareImage(file, spec.resizeSpec(size), spec.pixelFormat);
    images.push({ file, tensor: prepared.tensor, dims: prepared.dims });
  }
  return images;
}
