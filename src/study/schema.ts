// The study file (experiments/NAME.json): which models, which data, which sizes and which light heads to
// compare. Validated with zod; every error names the file and the field, and the CLI exits 2 on it.
//
// Path rule: a path may start with `${data}`, which stands for the data folder (the repository's data/ or
// $FLOPMAP_DATA); any other relative path is resolved against the folder holding the study file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { dataDir } from '../data-dir.ts';
import { fileError } from '../errors.ts';
import { readJsonFile } from '../json-file.ts';
import { FAMILY_NAMES, type FamilyName } from '../detection/families/index.ts';
import { BLOCKS, SUBNETS, type BlockName, type Subnet } from '../variants/index.ts';

// The vocabulary comes from the stages that own it: a family or block added there is accepted here.
export const LEVELS = ['P3', 'P4', 'P5', 'P6', 'P7'] as const;

/**
 * An input size: a number is the pipeline's `--size` (the side of a square input; RetinaNet's shorter side,
 * the longer one following the family's rule, e.g. 800 -> 800x1216), or an explicit "HxW".
 */
const sizeField = z.union([
  z.number().int().min(32).max(4096),
  z.string().regex(/^\d{2,4}x\d{2,4}$/, 'expected a number or "HxW", e.g. "800x1216"'),
]);

const idField = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-" only');

const modelSchema = z
  .object({
    id: idField,
    path: z.string().min(1),
    family: z.enum(FAMILY_NAMES),
    /** Native input size; read from the graph when its input is static, required when it is dynamic. */
    size: sizeField.optional(),
    /** The file is one point on another model's curve (e.g. a retrained light-head export of that model). */
    of: idField.optional(),
    /** How the file removes FLOPs from `of` (only with `of`). */
    strategy: z.enum(['layer-specific', 'channel-pruning']).optional(),
  })
  .strict();

const dataSchema = z
  .object({
    coco: z.string().min(1).default('${data}/coco206'),
    /** Evaluate on the first N images (by image id); all of them when absent. */
    images: z.number().int().positive().optional(),
    /** Images per unit of work (point x shard), the piece a queue would hand to one machine. */
    shardSize: z.number().int().positive().default(50),
    /** false: profile-only points (no inference, no mAP), e.g. for a graph without trained weights. */
    evaluate: z.boolean().default(true),
  })
  .strict();

/** Distillation against the original model on coco/calib + coco/unlabeled: true, or its settings. */
const distillSchema = z
  .union([
    z.literal(true),
    z.object({ epochs: z.number().int().positive().optional(), seed: z.number().int().min(0).optional(), images: z.number().int().positive().optional() }).strict(),
  ])
  .optional();

const layerSpecificSchema = z
  .object({
    block: z.enum(BLOCKS),
    levels: z.array(z.enum(LEVELS)).min(1),
    subnets: z.array(z.enum(SUBNETS)).min(1).optional(),
    rank: z.number().int().positive().optional(),
    ratio: z.number().positive().max(1).optional(),
    /** Calibration images the light head is fitted on; false: no fitting (see init). */
    fit: z.union([z.string().min(1), z.literal(false)]).default('${data}/coco/calib'),
    calibImages: z.number().int().positive().optional(),
    /** Without fit: 'svd' projects the original weights (default), 'random' is He-normal (FLOPs studies). */
    init: z.enum(['svd', 'random']).optional(),
    /** Also a distilled point: the fitted head trained against the original on coco/calib + coco/unlabeled. */
    distill: distillSchema,
  })
  .strict();

/** Channel pruning under a MACs budget (`flopmap prune`): one point per entry, at the native size. */
const channelPruningSchema = z
  .object({
    /** Fraction of the MACs kept (0.8). */
    flops: z.number().gt(0).lt(1),
    /** Images of the refit (DIR/calib + DIR/unlabeled, or DIR); false: norm-only pruning (no refit). */
    fit: z.union([z.string().min(1), z.literal(false)]).default('${data}/coco'),
    /** The first N of those images (default all). */
    calibImages: z.number().int().positive().optional(),
    allocation: z.enum(['sensitivity', 'uniform']).optional(),
    /** Also a distilled point: the pruned, refitted model's whole network trained against the original. */
    distill: distillSchema,
  })
  .strict();

const studySchema = z
  .object({
    name: idField,
    description: z.string().optional(),
    models: z.array(modelSchema).min(1),
    data: dataSchema.default({ coco: '${data}/coco206', shardSize: 50, evaluate: true }),
    inputScaling: z.object({ sizes: z.array(sizeField).default([]) }).strict().default({ sizes: [] }),
    layerSpecific: z.array(layerSpecificSchema).default([]),
    channelPruning: z.array(channelPruningSchema).default([]),
    threads: z.number().int().min(1).max(64).default(1),
    /** Confidence intervals by bootstrap over the evaluation images (Everingham et al., IJCV 2015). */
    bootstrap: z
      .object({ replicates: z.number().int().min(1).max(100000).default(1000), seed: z.number().int().min(0).default(1) })
      .strict()
      .default({ replicates: 1000, seed: 1 }),
    /** Warm session.run timings per evaluated point. */
    latency: z.object({ runs: z.number().int().min(20).max(10000).default(20) }).strict().default({ runs: 20 }),
  })
  .strict();

export interface InputSize {
  height: number;
  width: number;
  /** The `--size` number the input came from (absent for an explicit "HxW"). */
  side?: number;
}

export type TrainedStrategy = 'layer-specific' | 'channel-pruning';

export interface StudyModel {
  id: string;
  path: string;
  family: FamilyName;
  size?: InputSize;
  /** Set for a file that is a point on model `of`'s curve, with the strategy that made it. */
  of?: string;
  strategy?: TrainedStrategy;
}

export interface DistillSettings {
  epochs?: number;
  seed?: number;
  images?: number;
}

export interface LayerSpecificSpec {
  block: BlockName;
  levels: string[];
  subnets?: Subnet[];
  rank?: number;
  ratio?: number;
  /** Absolute calibration folder, or false for no fitting (`init` says how the weights are made). */
  fit: string | false;
  calibImages?: number;
  init?: 'svd' | 'random';
  /** Present: the spec's points include a distilled one (see variants/distill). */
  distill?: DistillSettings;
}

export interface ChannelPruningSpec {
  flops: number;
  /** Absolute folder of the refit's images (calibration.ts listTrainingImages), or false for norm-only pruning. */
  fit: string | false;
  calibImages?: number;
  allocation?: 'sensitivity' | 'uniform';
  /** Present: the spec's points include a distilled one (see variants/distill). */
  distill?: DistillSettings;
}

/** What a variant point builds: a light head, or a channel-pruned model. */
export type VariantSpec = LayerSpecificSpec | ChannelPruningSpec;

export function isChannelPruning(spec: VariantSpec): spec is ChannelPruningSpec {
  return 'flops' in spec;
}

export interface Study {
  /** Absolute path of the study file. */
  file: string;
  name: string;
  description?: string;
  models: StudyModel[];
  data: { coco: string; images?: number; shardSize: number; evaluate: boolean };
  inputScaling: { sizes: InputSize[] };
  layerSpecific: LayerSpecificSpec[];
  channelPruning: ChannelPruningSpec[];
  threads: number;
  bootstrap: { replicates: number; seed: number };
  latency: { runs: number };
}

export function parseSize(size: number | string): InputSize {
  if (typeof size === 'number') return { height: size, width: size, side: size };
  const [h, w] = size.split('x').map(Number);
  return { height: h!, width: w! };
}

export function sizeLabel(size: InputSize): string {
  if (size.side !== undefined) return String(size.side);
  return size.height === size.width ? String(size.height) : `${size.height}x${size.width}`;
}

/** Applies the path rule: `${data}/...` -> data folder; other relative paths -> the study's folder. */
export function resolveStudyPath(path: string, studyFile: string): string {
  const withData = path.replace(/^\$\{data\}/, dataDir());
  return isAbsolute(withData) ? withData : resolve(dirname(studyFile), withData);
}

function issueLine(issue: z.core.$ZodIssue): string {
  const field = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  return `field ${field}: ${issue.message}`;
}

/** Validates a parsed study object; `file` names the source in errors and anchors relative paths. */
export function parseStudy(json: unknown, file: string): Study {
  const parsed = studySchema.safeParse(json);
  if (!parsed.success) {
    throw fileError(file, `invalid study file: ${parsed.error.issues.map(issueLine).join('; ')}`);
  }
  const s = parsed.data;
  const abs = resolve(file);
  const ids = new Set<string>();
  for (const [i, m] of s.models.entries()) {
    if (ids.has(m.id)) throw fileError(file, `invalid study file: field models.${i}.id: duplicate model id "${m.id}"`);
    ids.add(m.id);
  }
  for (const [i, m] of s.models.entries()) {
    if (m.strategy !== undefined && m.of === undefined) {
      throw fileError(file, `invalid study file: field models.${i}.strategy: only with "of" (the model whose curve the file is a point of)`);
    }
    if (m.of === undefined) continue;
    const target = s.models.find((t) => t.id === m.of);
    if (!target || target === m) throw fileError(file, `invalid study file: field models.${i}.of: "${m.of}" is not another model of the study`);
    if (target.of !== undefined) throw fileError(file, `invalid study file: field models.${i}.of: "${m.of}" is itself a point of "${target.of}"`);
    if (target.family !== m.family) throw fileError(file, `invalid study file: field models.${i}.family: "${m.family}" differs from "${m.of}"'s "${target.family}"`);
  }
  return {
    file: abs,
    name: s.name,
    description: s.description,
    models: s.models.map((m) => ({
      id: m.id,
      path: resolveStudyPath(m.path, abs),
      family: m.family,
      size: m.size === undefined ? undefined : parseSize(m.size),
      ...(m.of === undefined ? {} : { of: m.of, strategy: m.strategy ?? 'layer-specific' }),
    })),
    data: { ...s.data, coco: resolveStudyPath(s.data.coco, abs) },
    inputScaling: { sizes: s.inputScaling.sizes.map(parseSize) },
    layerSpecific: s.layerSpecific.map((v, i) => {
      if (v.init !== undefined && v.fit !== false) {
        throw fileError(file, `invalid study file: field layerSpecific.${i}.init: only with "fit": false (a fitted head is initialised by the fit)`);
      }
      return withFitAndDistill(v, `layerSpecific.${i}`, 'a fitted head', abs, file);
    }),
    channelPruning: s.channelPruning.map((v, i) => withFitAndDistill(v, `channelPruning.${i}`, 'a refitted model', abs, file)),
    threads: s.threads,
    bootstrap: s.bootstrap,
    latency: s.latency,
  };
}

/** An entry's fit folder made absolute and `distill: true` made its settings; distilling needs a fit (`what`). */
function withFitAndDistill<T extends { fit: string | false; distill?: true | DistillSettings }>(
  v: T,
  field: string,
  what: string,
  abs: string,
  file: string,
): Omit<T, 'distill'> & { distill?: DistillSettings } {
  if (v.distill !== undefined && v.fit === false) {
    throw fileError(file, `invalid study file: field ${field}.distill: only with ${what} (not "fit": false)`);
  }
  return {
    ...v,
    fit: v.fit === false ? false : resolveStudyPath(v.fit, abs),
    distill: v.distill === undefined ? undefined : v.distill === true ? {} : v.distill,
  };
}

/** Reads and validates experiments/NAME.json. */
export function loadStudy(file: string): Study {
  return parseStudy(readJsonFile(file, 'study file'), file);
}
