// Loads and validates a ground-truth file in the official instances_*.json format: the one reader of COCO
// annotations for every stage (evaluation, the detection pipeline's image list, the study's image subsets).
import { fileError } from '../errors.ts';
import { bboxProblem, isRecord, readJsonFile, show } from './json-file.ts';
import { sortedUnique } from './params.ts';
import type { BBox, CocoCategory, CocoGroundTruth, CocoGtAnnotation, CocoImage } from './types.ts';

/** A validated annotations file, with the parsed JSON itself for writers of subsets (other keys kept). */
export interface AnnotationsFile {
  json: Record<string, unknown>;
  groundTruth: CocoGroundTruth;
}

export function readAnnotations(path: string): AnnotationsFile {
  const json = readJsonFile(path, 'annotations file');
  const groundTruth = parseGroundTruth(json, path);
  return { json: json as Record<string, unknown>, groundTruth };
}

export function loadGroundTruth(path: string): CocoGroundTruth {
  return readAnnotations(path).groundTruth;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Validates a parsed ground-truth object. Like pycocotools, annotations whose image or category is not listed are
 * kept out of the evaluation; duplicate annotation ids are refused (pycocotools indexes annotations by id, so a
 * duplicate would silently replace another annotation).
 */
export function parseGroundTruth(json: unknown, label: string): CocoGroundTruth {
  if (!isRecord(json)) throw fileError(label, 'ground truth must be a JSON object with images, annotations, categories');
  const { images, annotations, categories } = json;
  for (const [name, list] of [['images', images], ['annotations', annotations], ['categories', categories]] as const) {
    if (!Array.isArray(list)) throw fileError(label, `ground truth has no "${name}" array`);
  }
  const imageList = (images as unknown[]).map((img, i): CocoImage => {
    if (!isRecord(img) || !isFiniteNumber(img.id)) throw fileError(label, `images[${i}]: id must be a number, got ${show(isRecord(img) ? img.id : img)}`);
    return typeof img.file_name === 'string' ? { id: img.id, fileName: img.file_name } : { id: img.id };
  });
  const imageIds = imageList.map((img) => img.id);
  const cats = new Map<number, CocoCategory>();
  (categories as unknown[]).forEach((cat, i) => {
    if (!isRecord(cat) || !isFiniteNumber(cat.id)) throw fileError(label, `categories[${i}]: id must be a number, got ${show(isRecord(cat) ? cat.id : cat)}`);
    cats.set(cat.id, { id: cat.id, name: typeof cat.name === 'string' ? cat.name : String(cat.id) });
  });
  const seenIds = new Set<number>();
  const anns = (annotations as unknown[]).map((ann, i): CocoGtAnnotation => {
    const where = `annotations[${i}]`;
    if (!isRecord(ann)) throw fileError(label, `${where}: must be an object, got ${show(ann)}`);
    for (const key of ['id', 'image_id', 'category_id', 'area'] as const) {
      if (!isFiniteNumber(ann[key])) throw fileError(label, `${where}: ${key} must be a finite number, got ${show(ann[key])}`);
    }
    const problem = bboxProblem(ann.bbox);
    if (problem) throw fileError(label, `${where}: ${problem}`);
    const crowd = ann.iscrowd ?? 0;
    if (crowd !== 0 && crowd !== 1 && typeof crowd !== 'boolean') throw fileError(label, `${where}: iscrowd must be 0 or 1, got ${show(crowd)}`);
    const id = ann.id as number;
    if (seenIds.has(id)) throw fileError(label, `${where}: duplicate annotation id ${id}`);
    seenIds.add(id);
    return {
      id,
      image_id: ann.image_id as number,
      category_id: ann.category_id as number,
      bbox: ann.bbox as BBox,
      area: ann.area as number,
      iscrowd: crowd === 1 || crowd === true,
    };
  });
  return {
    source: label,
    imageIds: sortedUnique(imageIds),
    images: imageList.sort((a, b) => a.id - b.id),
    categories: [...cats.values()].sort((a, b) => a.id - b.id),
    annotations: anns,
  };
}
