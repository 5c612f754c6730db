// The evaluation images of a study: the first N images (by id) of the COCO annotations, and one annotations
// file per shard (and one for the whole set), written into the cache so that each unit of work is a plain
// (model, images, annotations) job that any machine could run.
import { readAnnotations } from '../coco-eval/index.ts';
import { hashOf, writeFileAtomic, type StudyCache } from './cache.ts';
import { planShards, type Shard } from './points.ts';

/** The annotations JSON as read (validated by coco-eval), every other key (categories, info) kept. */
interface CocoFile {
  images: { id: number }[];
  annotations: { image_id: number }[];
  [key: string]: unknown;
}

export interface ShardFiles extends Shard {
  annotationsPath: string;
  /** Hash of the shard's annotations: part of every unit key. */
  key: string;
}

export interface EvalSet {
  imagesDir: string;
  /** Annotations of exactly the evaluated images. */
  annotationsPath: string;
  imageIds: number[];
  key: string;
  shards: ShardFiles[];
}

function subset(gt: CocoFile, ids: readonly number[]): CocoFile {
  const keep = new Set(ids);
  return {
    ...gt,
    images: gt.images.filter((im) => keep.has(im.id)),
    annotations: gt.annotations.filter((a) => keep.has(a.image_id)),
  };
}

function writeSubset(cache: StudyCache, gt: CocoFile, ids: readonly number[]): { path: string; key: string } {
  const text = JSON.stringify(subset(gt, ids));
  const key = hashOf(text);
  const path = cache.path('gt', key);
  if (!cache.has('gt', key)) writeFileAtomic(path, text);
  return { path, key };
}

export function prepareEvalSet(
  coco: { imagesDir: string; annotationsPath: string },
  limit: number | undefined,
  shardSize: number,
  cache: StudyCache,
): EvalSet {
  const { json, groundTruth } = readAnnotations(coco.annotationsPath);
  const gt = json as CocoFile; // parseGroundTruth checked images[].id and annotations[].image_id
  const allIds = groundTruth.images.map((im) => im.id);
  const imageIds = limit === undefined ? allIds : allIds.slice(0, limit);
  const whole = writeSubset(cache, gt, imageIds);
  const shards = planShards(imageIds, shardSize).map((s) => {
    const f = writeSubset(cache, gt, s.imageIds);
    return { ...s, annotationsPath: f.path, key: f.key };
  });
  return { imagesDir: coco.imagesDir, annotationsPath: whole.path, imageIds, key: whole.key, shards };
}
