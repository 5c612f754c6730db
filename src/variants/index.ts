// Layer-specific reduction: a copy of a detector in which chosen head convs are replaced by lighter blocks,
// with weights fitted on calibration images, projected from the original weights, random, or read from a
// trained variant. The original model is never modified; weights shared across levels stay with the levels
// that are not replaced (each block gets its own initializers).
import { InputError, fileError } from '../errors.ts';
import { loadModel } from '../onnx/model-io.ts';
import type { Model } from '../onnx/proto.ts';
import { tensorDims } from '../onnx/tensor.ts';
import { profileModel, type GroupRule, type Profile } from '../profiler/index.ts';
import { getFamily, type FamilyName } from '../detection/families/index.ts';
import { BLOCKS, initFromWeights, initRandom, whyNotApplicable, type BlockName, type BlockOptions } from './blocks.ts';
import { loadCalibrationImages } from './calibration.ts';
import { exportSize } from '../onnx/image-input.ts';
import { readConv, writeChain } from './conv-spec.ts';
import { fitTargets, type FitOptions, type FitReport, type FitTarget } from './fit.ts';
import { headBoundary } from './distill/head-subgraph.ts';
import { familyLoss, positionWeights as teacherWeights } from './distill/losses.ts';
import { distillVariant, type DistillOptions, type DistillReport } from './distill/index.ts';
import { GraphEditor } from '../onnx/graph-edit.ts';
import { recordReplacedGroups, type ReplacedConv } from '../onnx/replaced-groups.ts';
import { cloneModel } from '../onnx/model-io.ts';
import { findHeadConvs, headLevels, parseHeadGroup, selectConvs, type ConvSubnet, type HeadConv, type Subnet } from './head-convs.ts';

export { BLOCKS, type BlockName } from './blocks.ts';
export { SUBNETS, type Subnet } from './head-convs.ts';

export interface VariantOptions extends BlockOptions {
  block: BlockName;
  levels: string[];
  subnets?: Subnet[];
  /** Predictors replaced too (default ['cls']: the released LW-RetinaNet keeps its 3x3 box predictor). */
  predictors?: Subnet[];
  /** Tower convs replaced, by index within their subnet (default all). */
  towers?: number[];
  /** Replace exactly these Conv nodes (by name, anywhere in the model) instead of selecting head convs. */
  nodes?: string[];
  fit?: {
    calibDir: string;
    family: FamilyName;
    images?: number;
    size?: number;
    positionsPerImage?: number;
    threads?: number;
    /** Weight each output position by the original model's confidence there (the distillation weights). */
    weighted?: boolean;
  };
  /** 'fit' needs `fit`; 'svd' (default without `fit`) projects the original weights; 'random' is He-normal. */
  init?: 'fit' | 'svd' | 'random';
  /** Trained weights for the variant: initializers of this ONNX file matched by name. */
  weightsFrom?: string;
  /** Passed to the profiler for the node groups (input shapes of dynamic exports, grouping rules). */
  inputShapes?: Record<string, number[]>;
  groups?: GroupRule[];
  onProgress?: (done: number, total: number) => void;
  /** After the fit (or projection), train the changed levels against the original model (distill/). */
  distill?: Omit<DistillOptions, 'size'> & { size?: number };
}

export interface VariantLayer {
  /** The replaced conv node. */
  name: string;
  level: string;
  subnet: ConvSubnet;
  role: 'tower' | 'predictor';
  block: BlockName;
  /** Shapes of the block's convs, e.g. [[128,256,3,3],[256,128,1,1]]. */
  shapes: number[][];
  relativeError?: number;
}

export interface VariantResult {
  model: Model;
  layers: VariantLayer[];
  /** Selected convs the block does not apply to, and why (left as they are). */
  skipped: { name: string; level: string; reason: string }[];
  fit?: FitReport;
  distill?: DistillReport;
  /** The original model's profile (at `inputShapes`, with `groups`): it places the convs by level. */
  sourceProfile: Profile;
}

/** Replaces the selected head convs of `model` (a copy) by `options.block`. */
export async function buildVariant(model: Model, options: VariantOptions): Promise<VariantResult> {
  if (!(BLOCKS as readonly string[]).includes(options.block)) {
    throw new InputError(`--block ${options.block}: unknown block (one of ${BLOCKS.join(', ')})`);
  }
  const editor = new GraphEditor(cloneModel(model));
  const sourceProfile = profileModel(model, { inputShapes: options.inputShapes, groups: options.groups });
  const groups = nodeGroups(sourceProfile);
  const convs = findHeadConvs(editor, (node) => groups.get((node.output ?? [])[0] ?? ''));
  const levels = headLevels(convs);
  if (levels.length === 0 && !options.nodes) throw new InputError('the model has no head convs the profiler groups by level (head/P3...)');
  const unknown = options.levels.filter((l) => !levels.includes(l));
  if (!options.nodes && (unknown.length > 0 || options.levels.length === 0)) {
    throw new InputError(`--levels ${options.levels.join(',')}: no such level in the model's head (levels found: ${levels.join(', ')})`);
  }
  const selected = options.nodes ? namedConvs(editor, options.nodes, groups) : selectConvs(convs, options);
  const layers: VariantLayer[] = [];
  const skipped: VariantResult['skipped'] = [];
  const targets: FitTarget[] = [];
  /** New node -> group of the conv it replaced, recorded in the variant for the profiler. */
  const replacedGroups = new Map<string, ReplacedConv>();
  const init = options.init ?? (options.fit ? 'fit' : 'svd');
  if (init === 'fit' && !options.fit) throw new InputError('--init fit needs --fit COCO_DIR');
  for (const conv of selected) {
    const spec = readConv(editor, conv.node);
    const reason = whyNotApplicable(options.block, spec);
    if (reason) {
      skipped.push({ name: spec.name, level: conv.level, reason });
      continue;
    }
    const blockLayers = init === 'random' ? initRandom(options.block, spec, options, targets.length + 1) : initFromWeights(options.block, spec, options);
    const group = groups.get(spec.output);
    const written = writeChain(editor, conv.node, spec, options.block, blockLayers);
    if (group) for (const w of written) replacedGroups.set(w.node, { group, replaces: spec.name });
    targets.push({ spec, block: options.block, layers: blockLayers, written });
    layers.push({
      name: spec.name,
      level: conv.level,
      subnet: conv.subnet,
      role: conv.role,
      block: options.block,
      shapes: blockLayers.map((l) => [...l.dims]),
    });
  }
  if (targets.length === 0) {
    const why = [...new Set(skipped.map((s) => s.reason))].join('; ') || 'no conv selected';
    throw new InputError(`--block ${options.block}: applies to no selected conv at ${options.nodes ? options.nodes.join(',') : options.levels.join(',')} (${why})`);
  }
  editor.sortTopologically();
  let fit: FitReport | undefined;
  if (init === 'fit' && options.fit) {
    const size = options.fit.size ?? exportSize(model) ?? getFamily(options.fit.family).defaultSize;
    const images = await loadCalibrationImages(options.fit.calibDir, options.fit.family, size, options.fit.images ?? 32);
    const family = options.fit.family;
    let positionWeights: FitOptions['positionWeights'];
    if (options.fit.weighted) {
      const { outputs } = headBoundary(model, sourceProfile, [...new Set(layers.map((l) => l.level))]);
      positionWeights = {
        tensors: outputs,
        weigh: (maps) => {
          const loss = familyLoss(family, outputs.map((name) => ({ name, dims: maps[name]!.dims })));
          const weights = teacherWeights(loss, maps);
          // The rules with a floor (1 + 10 x confidence): every position counts, confident ones more.
          return loss.weights.filter((r) => r.base > 0).map((r) => weights[r.name]!);
        },
      };
    }
    fit = await fitTargets(model, editor, targets, images, {
      positionsPerImage: options.fit.positionsPerImage,
      threads: options.fit.threads,
      onProgress: options.onProgress,
      positionWeights,
    });
    fit.relativeErrors.forEach((e, i) => (layers[i]!.relativeError = e));
  }
  if (options.weightsFrom) copyWeights(editor, targets, options.weightsFrom);
  const variant = editor.finish();
  recordReplacedGroups(variant, replacedGroups);
  if (options.distill) {
    const size = options.distill.size ?? exportSize(model) ?? getFamily(options.distill.family).defaultSize;
    const levelsTrained = [...new Set(layers.map((l) => l.level))];
    const trained = await distillVariant(model, sourceProfile, variant, levelsTrained, { ...options.distill, size });
    return { model: trained.model, layers, skipped, fit, distill: trained.report, sourceProfile };
  }
  return { model: variant, layers, skipped, fit, sourceProfile };
}

/** Conv nodes named by the caller, placed by their profiler group (level '' outside the head). */
function namedConvs(editor: GraphEditor, names: string[], groups: Map<string, string>): HeadConv[] {
  return names.map((name) => {
    const node = editor.model.graph.node.find((n) => n.name === name);
    if (!node || node.opType !== 'Conv') throw new InputError(`--nodes ${name}: no Conv node of that name in the model`);
    const place = parseHeadGroup(groups.get((node.output ?? [])[0] ?? '') ?? '');
    return { node, level: place?.level ?? '', subnet: place?.subnet ?? 'shared', role: 'tower', index: 0 };
  });
}

/** Node output -> profiler group. */
function nodeGroups(profile: Profile): Map<string, string> {
  const groups = new Map<string, string>();
  for (const n of profile.nodes) if (n.outputs[0]) groups.set(n.outputs[0], n.group);
  return groups;
}

/** Reads the blocks' weights from a trained variant: every block initializer must be there with its dims. */
function copyWeights(editor: GraphEditor, targets: FitTarget[], file: string): void {
  const trained = new Map(loadModel(file).graph.initializer.map((t) => [t.name ?? '', t]));
  for (const target of targets) {
    target.written.forEach((names, i) => {
      const dims = target.layers[i]!.dims;
      for (const [name, expected] of [[names.weight, [...dims]], [names.bias, [dims[0]]]] as const) {
        const t = trained.get(name);
        if (!t) throw fileError(file, `no initializer ${name} (is it a ${target.block} variant of the same model and levels?)`);
        const got = tensorDims(t);
        if (got.join('x') !== expected.join('x')) throw fileError(file, `initializer ${name} has dims ${got.join('x')}, the variant needs ${expected.join('x')}`);
        editor.setInitializer(t);
      }
    });
  }
}
