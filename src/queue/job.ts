// What travels between the coordinator and the workers: one BullMQ job per unit of work, and the settings a
// worker hands to its sandboxed processors.
import type { FamilyName } from '../detection/index.ts';
import type { InputSize } from '../study/schema.ts';
import type { QueueUrl } from './connection.ts';

/** A job's data: the unit, with its model and shard annotations named by content hash (see blobs.ts). */
export interface UnitJob {
  /** `nanodet-m@320#2`, for logs; the job id is the unit's cache key. */
  unit: string;
  family: FamilyName;
  size: InputSize;
  modelHash: string;
  annotationsHash: string;
  images: number;
  /** The coordinator's onnxruntime threads; a worker's --threads overrides. */
  threads: number;
}

/** Passed to each processor thread as its workerData. */
export interface ProcessorConfig {
  queue: QueueUrl;
  /** The worker's own copy of the COCO images. */
  imagesDir: string;
  /** The worker's disk cache of models and shard annotations. */
  blobDir: string;
  threads?: number;
}
