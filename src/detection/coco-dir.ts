// Where the images and annotations of a COCO folder are (DESIGN: `--coco DIR` means DIR/val2017/ plus the one
// DIR/instances_val2017*.json), and which image files an annotations file lists (read by coco-eval).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../errors.ts';
import type { CocoGroundTruth } from '../coco-eval/types.ts';

export interface CocoDir {
  imagesDir: string;
  annotationsPath: string;
}

/** DIR/val2017 and the single DIR/instances_val2017*.json; either may be given explicitly instead. */
export function resolveCocoDir(dir: string, overrides: Partial<CocoDir> = {}): CocoDir {
  if (!overrides.imagesDir || !overrides.annotationsPath) {
    if (!existsSync(dir)) throw fileError(dir, 'COCO folder not found');
    if (!statSync(dir).isDirectory()) throw fileError(dir, 'not a folder (expected a COCO folder with val2017/ and instances_val2017*.json)');
  }
  let imagesDir = overrides.imagesDir;
  if (!imagesDir) {
    imagesDir = join(dir, 'val2017');
    if (!existsSync(imagesDir)) throw fileError(dir, 'has no val2017/ image folder');
  }
  let annotationsPath = overrides.annotationsPath;
  if (!annotationsPath) {
    const found = readdirSync(dir).filter((f) => /^instances_val2017.*\.json$/.test(f)).sort();
    if (found.length === 0) throw fileError(dir, 'has no instances_val2017*.json annotations file');
    if (found.length > 1) throw fileError(dir, `has several annotations files (${found.join(', ')}): pick one with --annotations`);
    annotationsPath = join(dir, found[0]);
  }
  return { imagesDir, annotationsPath };
}

export interface CocoImageEntry {
  id: number;
  fileName: string;
}

/** The images an annotations file lists, by ascending id (the order pycocotools evaluates them in). */
export function listAnnotatedImages(gt: CocoGroundTruth): CocoImageEntry[] {
  return gt.images.map((img): CocoImageEntry => {
    if (img.fileName === undefined) throw fileError(gt.source, `image ${img.id} has no "file_name"`);
    return { id: img.id, fileName: img.fileName };
  });
}

/** Throws, naming the first one, when an image the annotations list is not in the image folder. */
export function assertImagesExist(imagesDir: string, entries: readonly CocoImageEntry[], annotationsPath: string): void {
  for (const e of entries) {
    const path = join(imagesDir, e.fileName);
    if (!existsSync(path)) throw fileError(path, `no such image (image ${e.id}, listed in ${annotationsPath}); nothing was run`);
  }
}
