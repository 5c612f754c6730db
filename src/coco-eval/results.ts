// Loads and validates a COCO results file (a JSON list of {image_id, category_id, bbox, score}) against its
// ground truth, as pycocotools' COCO.loadRes does (it asserts that every result image is a ground-truth image).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileError } from '../errors.ts';
import { toDetectionArrays, type DetectionArrays } from './detection-arrays.ts';
import { idLookup } from './id-lookup.ts';
import { bboxProblem, isRecord, readJsonFile, show } from './json-file.ts';
import { scanFileResults, type ReadMore } from './results-scan.ts';
import type { BBox, CocoDetection, CocoGroundTruth } from './types.ts';

export function loadResults(path: string, gt: CocoGroundTruth): CocoDetection[] {
  return parseResults(readJsonFile(path, 'results file'), gt, path);
}

/**
 * The same detections as loadResults, as typed arrays: a file in the usual shape is scanned byte by byte as it is
 * read (see results-scan.ts); any other file goes through JSON.parse and parseResults, so errors read the same.
 */
export function loadResultArrays(path: string, gt: CocoGroundTruth): DetectionArrays {
  const image = idLookup(gt.imageIds);
  const category = idLookup(gt.categories.map((c) => c.id));
  const scanned = readingFile(path, () => {
    const fd = openSync(path, 'r');
    try {
      const read: ReadMore = (into, at) => readSync(fd, into, at, into.length - at, null);
      return scanFileResults(read, fstatSync(fd).size, image, category);
    } finally {
      closeSync(fd);
    }
  });
  if (scanned) return scanned;
  const bytes = readingFile(path, () => readFileSync(path));
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw fileError(path, `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return toDetectionArrays(parseResults(json, gt, path));
}

/** Runs f, turning a file-system error into the one-line error for the results file. */
function readingFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    if (code === 'ENOENT') throw fileError(path, 'no such results file');
    throw fileError(path, `cannot read the results file (${code})`);
  }
}

/**
 * Validates results against the ground truth; `label` names the source in errors (a file path, or e.g. "detections
 * of model.onnx"). Every problem is an InputError naming the source, the entry index and the problem.
 */
export function parseResults(json: unknown, gt: CocoGroundTruth, label: string): CocoDetection[] {
  if (!Array.isArray(json)) throw fileError(label, `results must be a JSON array of {image_id, category_id, bbox, score}, got ${show(json)}`);
  const images = new Set(gt.imageIds);
  const categories = new Set(gt.categories.map((c) => c.id));
  const out = new Array<CocoDetection>(json.length);
  for (let i = 0; i < json.length; i++) {
    const entry: unknown = json[i];
    const where = `entry ${i}`;
    if (!isRecord(entry)) throw fileError(label, `${where}: must be an object, got ${show(entry)}`);
    const { image_id, category_id, bbox, score } = entry;
    if (typeof image_id !== 'number' || !images.has(image_id)) {
      throw fileError(label, `${where}: image_id ${show(image_id)} is not an image of the ground truth ${gt.source}`);
    }
    if (typeof category_id !== 'number' || !categories.has(category_id)) {
      throw fileError(label, `${where}: category_id ${show(category_id)} is not a category of the ground truth ${gt.source}`);
    }
    const problem = bboxProblem(bbox);
    if (problem) throw fileError(label, `${where}: ${problem}`);
    if (typeof score !== 'number' || !Number.isFinite(score)) throw fileError(label, `${where}: score must be a finite number, got ${show(score)}`);
    out[i] = { image_id, category_id, bbox: bbox as BBox, score };
  }
  return out;
}
