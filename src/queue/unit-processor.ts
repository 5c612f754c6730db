// BullMQ's sandboxed processor (one worker thread per concurrent job): runs one unit. Inference keeps a
// thread busy for seconds at a time; in its own thread it cannot starve the worker's main thread, which
// renews the job's lock in Redis (BullMQ "Sandboxed processors"). The model and shard annotations come from
// Redis by hash into the worker's disk cache; the images from the worker's own COCO folder.
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import type { SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { realStages } from '../study/real-stages.ts';
import type { ShardRun, StudyStages } from '../study/stages.ts';
import { fetchBlob } from './blobs.ts';
import { redisOptions } from './connection.ts';
import type { ProcessorConfig, UnitJob } from './job.ts';

const config = workerData as ProcessorConfig;
let redis: Redis | undefined;
let stages: StudyStages | undefined;

export default async function processUnit(job: SandboxedJob<UnitJob, ShardRun>): Promise<ShardRun> {
  redis ??= new Redis(redisOptions(config.queue));
  stages ??= realStages();
  const unit = job.data;
  const modelPath = await fetchBlob(redis, unit.modelHash, join(config.blobDir, 'models'), 'onnx');
  const annotationsPath = await fetchBlob(redis, unit.annotationsHash, join(config.blobDir, 'gt'), 'json');
  const run = await stages.detect({
    modelPath,
    family: unit.family,
    imagesDir: config.imagesDir,
    annotationsPath,
    size: unit.size,
    threads: config.threads ?? unit.threads,
  });
  if (run.images !== unit.images) throw new Error(`${unit.unit}: ran ${run.images} images, the unit has ${unit.images}`);
  return run;
}
