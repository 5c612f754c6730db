// The seam between the sweep and whatever runs its units of work. The runner decides which units are needed
// (those not in its cache) and stores what comes back; an executor only runs them: in this process (a local
// sweep) or on other machines (src/queue hands them to workers over Redis).
import type { FamilyName, ImagePreparer } from '../detection/index.ts';
import type { InputSize } from './schema.ts';
import type { ShardRun, StudyStages } from './stages.ts';

/** One (point, image shard) to run: everything a machine needs, named by content hashes. */
export interface UnitWork {
  /** `nanodet-m@320#2`: point id and shard index. */
  id: string;
  /** The unit's cache key: model hash, family, size, shard annotations and stage code. */
  key: string;
  family: FamilyName;
  size: InputSize;
  modelPath: string;
  /** Hash of the model bytes (decompressed): the same on every machine. */
  modelHash: string;
  imagesDir: string;
  /** COCO annotations listing exactly the shard's images. */
  annotationsPath: string;
  /** Hash of that annotations file's bytes. */
  annotationsHash: string;
  images: number;
  threads: number;
}

export interface UnitExecutor {
  /**
   * false: the runner hands over one unit at a time, as a local sweep always did; true: it hands over every
   * unit of every point at once, so that many machines can work on them together.
   */
  readonly parallel: boolean;
  run(unit: UnitWork, onImages: (done: number) => void): Promise<ShardRun>;
}

/** Runs each unit here, with the stages' detection pipeline (and the sweep's image worker, when given). */
export function localExecutor(stages: StudyStages, preparer?: ImagePreparer): UnitExecutor {
  return {
    parallel: false,
    run: (unit, onImages) =>
      stages.detect({
        modelPath: unit.modelPath,
        family: unit.family,
        imagesDir: unit.imagesDir,
        annotationsPath: unit.annotationsPath,
        size: unit.size,
        threads: unit.threads,
        onProgress: (done) => onImages(done),
        preparer,
      }),
  };
}
