// `flopmap prune MODEL --family F --flops 0.8 [--fit [DIR]] [--ratios 0.125,0.25,...] [--choice greedy|l1]
//  [--allocation sensitivity|uniform] [--images N] [--input NAME=1x3xHxW]
//  [--distill [COCO_DIR] [--epochs N] [--seed S] [--distill-images N] [--learning-rate LR]] [--json] -o OUT.onnx`:
// channel pruning under a MACs budget; prints the per-group plan (channels kept/total, MACs removed, error).
// --distill then trains the whole pruned network (every conv, image to raw head outputs) against the original
// on DIR/calib + DIR/unlabeled (the compression pipeline's distillation step; src/variants/distill/).
import { Option, type Command } from 'commander';
import { dataPath } from '../data-dir.ts';
import { InputError } from '../errors.ts';
import { loadModel, saveModel } from '../onnx/model-io.ts';
import { FAMILY_NAMES, getFamily, type FamilyName } from '../detection/families/index.ts';
import { imageInputSize } from '../onnx/image-input.ts';
import { listTrainingImages, loadImages } from '../variants/calibration.ts';
import { CHOICE_METHODS, type ChoiceMethod } from '../variants/prune/channel-choice.ts';
import { ALLOCATIONS, DEFAULT_ALLOCATION, DEFAULT_PRUNE_IMAGES_DIR, DEFAULT_RATIOS, prune, type Allocation, type PruneOutcome } from '../variants/prune/index.ts';
import { DEFAULT_WHOLE_LEARNING_RATE, distillWhole, type DistillReport } from '../variants/distill/index.ts';
import { distillProgress, distillSummary } from './distill-report.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from './options.ts';
import { parseInputShape } from './profile.ts';

interface PruneCliOptions {
  family: string;
  flops: string;
  fit?: string | boolean;
  ratios?: string;
  choice?: string;
  allocation: string;
  images?: string;
  sensitivityImages: string;
  input: string[];
  threads: string;
  output: string;
  json?: boolean;
  distill?: string | boolean;
  epochs?: string;
  seed?: string;
  distillImages?: string;
  learningRate?: string;
}

function parseRatios(value: string): number[] {
  const ratios = value.split(',').map((s) => Number(s.trim()));
  if (ratios.length === 0 || ratios.some((r) => !Number.isFinite(r) || r <= 0 || r >= 1)) throw new InputError(`--ratios ${value}: expected fractions in (0, 1) like 0.125,0.25,0.5`);
  return ratios;
}

function report(outcome: PruneOutcome, out: string, distill: DistillReport | undefined): string {
  const m = (x: number) => (x / 1e6).toFixed(1);
  const lines = [`wrote ${out}: ${m(outcome.macsBefore)} -> ${m(outcome.macsAfter)} M MACs (${((100 * outcome.macsAfter) / outcome.macsBefore).toFixed(1)}%; 1 MAC = 2 FLOPs)`];
  lines.push('group  kept/total  MACs removed (alone)  error  members');
  for (const r of outcome.rows) {
    if (r.kept === r.total) continue;
    const err = r.error === undefined ? '     -' : r.error.toFixed(4);
    lines.push(`${String(r.group).padStart(5)}  ${`${r.kept}/${r.total}`.padStart(10)}  ${`${m(r.macsRemoved)} M`.padStart(20)}  ${err}  ${r.members.join(',')}`);
  }
  const untouched = outcome.rows.filter((r) => r.kept === r.total).length;
  lines.push(`${untouched} of ${outcome.rows.length} groups kept whole`);
  const e = outcome.error;
  lines.push(`output error on the calibration images: scores ${e.score.toFixed(4)}, boxes ${e.box.toFixed(4)} (relative squared)`);
  const s = outcome.seconds;
  lines.push(`time: statistics ${s.stats.toFixed(1)} s, sensitivity/choice ${s.sensitivity.toFixed(1)} s, refit ${s.reconstruct.toFixed(1)} s`);
  if (distill) lines.push(...distillSummary(distill));
  return lines.join('\n') + '\n';
}

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('channel pruning under a MACs budget: coupled channel groups, per-group levels from measured sensitivity, least-squares refit, optional whole-network distillation')
    .argument('<model>', 'ONNX detector')
    .addOption(new Option('--family <name>', 'detector family (preprocessing of the calibration images, output kinds)').choices([...FAMILY_NAMES]).makeOptionMandatory())
    .option('--flops <fraction>', 'fraction of the MACs to keep', '0.8')
    .option('--fit [COCO_DIR]', 'refit the convs reading pruned channels by least squares (images from DIR/calib + DIR/unlabeled, or DIR; default data/coco: 305 images)')
    .option('--ratios <list>', `levels whose sensitivity is measured (default ${DEFAULT_RATIOS.join(',')})`)
    .addOption(new Option('--choice <how>', 'channels to remove: greedy least error after refit, or smallest L1 norm (default greedy with --fit, l1 without)').choices([...CHOICE_METHODS]))
    .addOption(new Option('--allocation <how>', 'per-group levels from sensitivity (DP) or one uniform ratio').choices([...ALLOCATIONS]).default(DEFAULT_ALLOCATION))
    .option('--images <N>', 'use the first N of those images (statistics, sensitivity, refit; default all)')
    .option('--sensitivity-images <N>', 'of those, images the sensitivity is measured on', '8')
    .option('--input <NAME=1x3xHxW>', 'input shape (dynamic exports), repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--threads <N>', 'onnxruntime threads', '1')
    .option('--distill [COCO_DIR]', 'then train the whole pruned network against the original on DIR/calib + DIR/unlabeled (default data/coco/)')
    .option('--epochs <N>', 'distillation epochs (at most; early stop on the held-out images)')
    .option('--seed <S>', 'distillation seed (split, order, scale jitter)')
    .option('--distill-images <N>', 'distill on the first N images only (default all)')
    .option('--learning-rate <LR>', `distillation step size (Adam; default ${DEFAULT_WHOLE_LEARNING_RATE})`)
    .requiredOption('-o, --output <file>', 'where to write the pruned model')
    .option('--json', 'print the plan and MACs as JSON')
    .action(async (modelPath: string, opts: PruneCliOptions) => {
      const model = loadModel(modelPath);
      const family = getFamily(opts.family).name as FamilyName;
      const flops = positiveNumber('--flops', opts.flops)!;
      if (flops >= 1) throw new InputError(`--flops ${opts.flops}: expected a fraction below 1 (0.8 keeps 80% of the MACs)`);
      const inputShapes: Record<string, number[]> = {};
      for (const spec of opts.input) {
        const { name, shape } = parseInputShape(spec);
        if (!name) throw new InputError(`--input ${spec}: name the input, e.g. images=1x3x800x1216`);
        inputShapes[name] = shape;
      }
      const distilling = opts.distill !== undefined;
      if (!distilling && [opts.epochs, opts.seed, opts.distillImages, opts.learningRate].some((v) => v !== undefined)) {
        throw new InputError('--epochs, --seed, --distill-images and --learning-rate go with --distill');
      }
      const epochs = positiveInt('--epochs', opts.epochs);
      const seed = opts.seed === undefined ? undefined : nonNegativeInt('--seed', opts.seed);
      const distillCount = positiveInt('--distill-images', opts.distillImages);
      const learningRate = positiveNumber('--learning-rate', opts.learningRate);
      const ratios = opts.ratios ? parseRatios(opts.ratios) : undefined;
      const refit = opts.fit !== undefined;
      const imagesDir = typeof opts.fit === 'string' ? opts.fit : dataPath(...DEFAULT_PRUNE_IMAGES_DIR);
      const size = imageInputSize(model)?.height ?? getFamily(family).defaultSize;
      const files = listTrainingImages(imagesDir).slice(0, positiveInt('--images', opts.images));
      const images = await loadImages(files, family, size);
      const log = (line: string) => { if (!opts.json) process.stderr.write(`${line}\n`); };
      const outcome = await prune(model, {
        family,
        flops,
        ratios,
        choice: (opts.choice as ChoiceMethod | undefined) ?? (refit ? 'greedy' : 'l1'),
        allocation: opts.allocation as Allocation,
        refit,
        images,
        sensitivityImages: positiveInt('--sensitivity-images', opts.sensitivityImages),
        inputShapes,
        threads: positiveInt('--threads', opts.threads),
        log,
      });
      let distill: DistillReport | undefined;
      if (distilling) {
        const distilled = await distillWhole(model, outcome.model, {
          dir: typeof opts.distill === 'string' ? opts.distill : dataPath('coco'),
          family,
          size,
          epochs,
          seed,
          images: distillCount,
          learningRate,
          threads: positiveInt('--threads', opts.threads),
          ...distillProgress(opts.json === true),
        });
        outcome.model = distilled.model;
        distill = distilled.report;
      }
      saveModel(outcome.model, opts.output);
      if (opts.json) {
        const { model: _m, ...rest } = outcome;
        void _m;
        process.stdout.write(`${JSON.stringify({ model: modelPath, output: opts.output, ...rest, distill }, null, 2)}\n`);
      } else {
        process.stdout.write(report(outcome, opts.output, distill));
      }
    });
}
