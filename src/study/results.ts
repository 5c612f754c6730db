// results.json (DESIGN.md's contract): one row per point. Read back with validation, so that `report` and
// `check` can work from the file alone and say which file and field is wrong.
import { z } from 'zod';
import { STAT_KEYS, type CocoStats, type StatKey } from '../coco-eval/index.ts';
import { fileError } from '../errors.ts';
import { readJsonFile } from '../json-file.ts';
import type { SweepTiming } from './timing.ts';


export const STRATEGIES = ['baseline', 'input-scaling', 'layer-specific', 'distilled', 'channel-pruning', 'pruned-distilled'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Strategies compared against the model's input-scaling curve at the same FLOPs. */
export const COMPARED_STRATEGIES: readonly Strategy[] = ['layer-specific', 'distilled', 'channel-pruning', 'pruned-distilled'];

/** Bootstrap confidence intervals of the 12 numbers (same units: 0..1); null where a number is undefined. */
export type PointIntervals = { level: number; replicates: number } & Record<StatKey, [number, number] | null>;

/** Warm session.run time on one input at the study's threads (image decoding and box decoding not timed). */
export interface PointLatency {
  medianMs: number;
  p90Ms: number;
  threads: number;
  runs: number;
}

/**
 * A light-head (or pruned) point against its model's input-scaling curve interpolated at its FLOPs, on the same
 * bootstrap replicates (paired); `unpairedCi` is what independent replicates would give. AP units: 0..1.
 */
export interface Comparison {
  model: string;
  point: string;
  against: 'input-scaling';
  flops: number;
  deltaAP: number;
  ci: [number, number];
  unpairedCi: [number, number];
}

/** MACs and FLOPs (1 MAC = 2 FLOPs) of one profiler group, e.g. `head/P3/cls`. */
export interface GroupCost {
  name: string;
  macs: number;
  flops: number;
}

export interface PointResult {
  /** Stable id, e.g. `nanodet-m@320` or `nanodet-m+conv1x1-P3@320`. */
  id: string;
  model: string;
  family: string;
  strategy: Strategy;
  /** The `--size` of the point (the side of a square input; RetinaNet's shorter side before padding). */
  size: number;
  /** The input actually profiled and run. */
  height: number;
  width: number;
  /** Light-head variant id (`conv1x1-P3`), null for the original network. */
  variant: string | null;
  macs: number;
  flops: number;
  params: number;
  /** null when the point was not evaluated (profile-only study) or failed. */
  stats: CocoStats | null;
  images: number;
  /** Inference seconds summed over the point's units (0 when profile-only or fully cached). */
  seconds: number;
  groups: GroupCost[];
  /** 95% bootstrap intervals, for evaluated points. */
  ci?: PointIntervals;
  /** For evaluated points. */
  latency?: PointLatency;
  /** Present when the point failed; the other points still ran. */
  error?: string;
}

export interface StudyResults {
  study: string;
  description?: string;
  /** false for a profile-only study (e.g. the zero-weight RetinaNet graph): no mAP anywhere. */
  evaluated: boolean;
  /** Evaluation images per point. */
  images: number;
  /**
   * The evaluated images: their ids (ascending) and the hash of the annotations evaluated (the study cache's
   * key of that file); null for a profile-only study. Absent in files written before it was recorded.
   */
  imageSet?: ImageSet | null;
  points: PointResult[];
  /** Present when the study computed intervals: the replicates and their seed. */
  bootstrap?: { replicates: number; seed: number };
  latency?: { runs: number };
  comparisons?: Comparison[];
  /** Where the sweep's time went (absent in files written before it was recorded). */
  timing?: SweepTiming;
}

export interface ImageSet {
  ids: number[];
  annotations: string;
}

const pair = z.tuple([z.number(), z.number()]);

const statsSchema = z.object(Object.fromEntries(STAT_KEYS.map((k) => [k, z.number()])) as Record<StatKey, z.ZodNumber>);

const pointSchema = z.object({
  id: z.string().min(1),
  model: z.string(),
  family: z.string().default(''),
  strategy: z.enum(STRATEGIES),
  size: z.number(),
  height: z.number().optional(),
  width: z.number().optional(),
  variant: z.string().nullable().default(null),
  macs: z.number(),
  flops: z.number(),
  params: z.number().default(0),
  stats: statsSchema.nullable(),
  images: z.number().default(0),
  seconds: z.number().default(0),
  groups: z.array(z.object({ name: z.string(), macs: z.number(), flops: z.number() })).default([]),
  ci: z
    .object({
      level: z.number(),
      replicates: z.number(),
      ...(Object.fromEntries(STAT_KEYS.map((k) => [k, pair.nullable()])) as Record<StatKey, z.ZodNullable<typeof pair>>),
    })
    .optional(),
  latency: z.object({ medianMs: z.number(), p90Ms: z.number(), threads: z.number(), runs: z.number() }).optional(),
  error: z.string().optional(),
});

const comparisonSchema = z.object({
  model: z.string(),
  point: z.string(),
  against: z.literal('input-scaling'),
  flops: z.number(),
  deltaAP: z.number(),
  ci: pair,
  unpairedCi: pair,
});

const resultsSchema = z.object({
  study: z.string(),
  description: z.string().optional(),
  evaluated: z.boolean().optional(),
  images: z.number().optional(),
  imageSet: z.object({ ids: z.array(z.number()), annotations: z.string() }).nullable().optional(),
  points: z.array(pointSchema),
  bootstrap: z.object({ replicates: z.number(), seed: z.number() }).optional(),
  latency: z.object({ runs: z.number() }).optional(),
  comparisons: z.array(comparisonSchema).optional(),
  timing: z.record(z.string(), z.number().nullable()).optional(),
});

/** Validates a results.json object; `file` names the source in errors. */
export function parseResults(json: unknown, file: string): StudyResults {
  const parsed = resultsSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `field ${i.path.length ? i.path.map(String).join('.') : '(top level)'}: ${i.message}`);
    throw fileError(file, `not a flopmap results.json: ${first.join('; ')}`);
  }
  const r = parsed.data;
  const points: PointResult[] = r.points.map((p) => ({ ...p, height: p.height ?? p.size, width: p.width ?? p.size }));
  return {
    study: r.study,
    description: r.description,
    evaluated: r.evaluated ?? points.some((p) => p.stats !== null),
    images: r.images ?? Math.max(0, ...points.map((p) => p.images)),
    ...(r.imageSet === undefined ? {} : { imageSet: r.imageSet }),
    points,
    ...(r.bootstrap ? { bootstrap: r.bootstrap } : {}),
    ...(r.latency ? { latency: r.latency } : {}),
    ...(r.comparisons ? { comparisons: r.comparisons } : {}),
    timing: r.timing as SweepTiming | undefined,
  };
}

export function loadResults(file: string): StudyResults {
  return parseResults(readJsonFile(file, 'results file'), file);
}
