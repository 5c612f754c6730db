// `flopmap variant MODEL --block conv1x1|dwsep|bottleneck|lowrank --levels P3[,P4] [--subnets cls,box]
//  [--predictors cls|cls,box|none] [--towers 0,1,...] [--rank R] [--ratio X] [--fit COCO_DIR --family F]
//  [--images N] [--init svd|random] [--weights FILE] [--input NAME=1x3xHxW] [--json] -o OUT.onnx`:
// writes a model whose chosen head convs are replaced by lighter blocks, and prints per-layer fit errors and
// the MACs before and after (from the profiler).
import { Option, type Command } from 'commander';
import { InputError } from '../errors.ts';
import { loadModel, saveModel } from '../onnx/model-io.ts';
import type { Model } from '../onnx/proto.ts';
import { groupSum, profileModel, type Profile } from '../profiler/index.ts';
import { FAMILY_NAMES, getFamily, type FamilyName } from '../detection/families/index.ts';
import { imageInputName, imageInputSize } from '../onnx/image-input.ts';
import { dataPath } from '../data-dir.ts';
import { BLOCKS, SUBNETS, buildVariant, type BlockName, type Subnet, type VariantOptions, type VariantResult } from '../variants/index.ts';
import { distillProgress, distillSummary } from './distill-report.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from './options.ts';
import { parseInputShape } from './profile.ts';
import { giga } from '../units.ts';

interface VariantCliOptions {
  block: string;
  levels: string;
  subnets: string;
  predictors: string;
  towers?: string;
  rank?: string;
  ratio?: string;
  fit?: string | boolean;
  family?: string;
  images?: string;
  size?: string;
  init?: string;
  weights?: string;
  input: string[];
  threads?: string;
  distill?: string | boolean;
  fitWeighted?: boolean;
  epochs?: string;
  seed?: string;
  distillImages?: string;
  output: string;
  json?: boolean;
}

function list(flag: string, value: string, allowed: readonly string[]): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = items.filter((s) => !allowed.includes(s));
  if (bad.length > 0) throw new InputError(`${flag} ${value}: unknown ${bad.join(', ')} (one of ${allowed.join(', ')})`);
  return items;
}

function headMacs(profile: Profile, levels: readonly string[]): number {
  return levels.reduce((a, l) => a + groupSum(profile, `head/${l}`).macs, 0);
}

function report(result: VariantResult, before: Profile, after: Profile, levels: string[], out: string): string {
  const lines = [`wrote ${out}: ${result.layers.length} conv(s) replaced by ${result.layers[0]?.block ?? ''}`];
  for (const l of result.layers) {
    const err = l.relativeError === undefined ? '' : `  fit error ||Y'-Y||/||Y|| = ${l.relativeError.toFixed(4)}`;
    lines.push(`  ${l.level}/${l.subnet} ${l.role.padEnd(9)} ${l.name}  -> ${l.shapes.map((s) => s.join('x')).join(' + ')}${err}`);
  }
  for (const s of result.skipped) lines.push(`  ${s.level} skipped ${s.name}: ${s.reason}`);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  lines.push(`MACs (1 MAC = 2 FLOPs) at ${before.inputs.map((i) => `${i.name}=${i.shape.join('x')}`).join(' ')}:`);
  lines.push(`  total       ${giga(before.totals.macs)} G -> ${giga(after.totals.macs)} G  (${ratio(before.totals.macs, after.totals.macs)}x fewer)`);
  const hb = headMacs(before, levels);
  const ha = headMacs(after, levels);
  lines.push(`  head ${levels.join(',').padEnd(6)} ${giga(hb)} G -> ${giga(ha)} G  (${ratio(hb, ha)}x fewer)`);
  if (result.distill) lines.push(...distillSummary(result.distill));
  if (result.fit) {
    lines.push(`fit: ${result.fit.passes} passes, capture ${result.fit.captureSeconds.toFixed(1)} s, solve ${result.fit.solveSeconds.toFixed(1)} s`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The input shape a dynamic graph is profiled at when no --input names it: graph surgery does not depend on the
 * size, only the reported MACs do. The family's default (RetinaNet 800 -> 800x1216) with --family, else 640x640
 * (a multiple of 128, the largest stride, P7). Undefined for a static graph or a given --input.
 */
function defaultInputShape(
  model: Model,
  family: FamilyName | undefined,
  given: Record<string, number[]>,
): { name: string; shape: number[]; source: string } | undefined {
  const name = imageInputName(model);
  if (given[name] || imageInputSize(model)) return undefined;
  if (family) {
    const f = getFamily(family);
    const [h, w] = f.representativeInput(f.defaultSize);
    return { name, shape: [1, 3, h, w], source: `the ${family} default size ${f.defaultSize}` };
  }
  return { name, shape: [1, 3, 640, 640], source: 'no --family: 640x640, a multiple of the largest stride' };
}

export function registerVariant(program: Command): void {
  program
    .command('variant')
    .description('replace head convs at chosen pyramid levels by lighter blocks (weights fitted, projected, random or trained)')
    .argument('<model>', 'ONNX detector')
    .addOption(new Option('--block <name>', 'replacement block').choices([...BLOCKS]).makeOptionMandatory())
    .option('--levels <list>', 'pyramid levels to lighten, e.g. P3 or P3,P4', 'P3')
    .option('--subnets <list>', 'subnets whose convs are replaced: cls, box or cls,box', 'cls,box')
    .option('--predictors <list>', 'predictors replaced too: cls, box, cls,box or none', 'cls')
    .option('--towers <list>', 'tower convs replaced, by index within the subnet (default all)')
    .option('--rank <R>', 'inner width of lowrank/bottleneck blocks')
    .option('--ratio <X>', 'inner width as a fraction of min(cin, cout) when no --rank (default 0.5)')
    .option('--fit [COCO_DIR]', 'fit the blocks on calibration images (DIR/calib or DIR; default data/coco/calib)')
    .addOption(new Option('--family <name>', 'family of the model: preprocessing of the calibration images (--fit needs it) and the default input size of a dynamic graph').choices([...FAMILY_NAMES]))
    .option('--images <N>', 'calibration images used by --fit', '32')
    .option('--size <S>', 'input size of the calibration images (default: the static export\'s, else the family\'s)')
    .addOption(new Option('--init <how>', 'weights without --fit: svd (projection of the original) or random (He, to retrain)').choices(['svd', 'random']))
    .option('--weights <file>', 'take the blocks\' weights from a trained variant (initializers matched by name)')
    .option('--input <NAME=1x3xHxW>', 'input shape for the profiler (dynamic exports), repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--threads <N>', 'onnxruntime threads for --fit and --distill', '1')
    .option('--fit-weighted', 'weight the fit toward positions where the original model sees objects (as distillation does)')
    .option('--distill [COCO_DIR]', 'then train the changed levels against the original model on DIR/calib + DIR/unlabeled (default data/coco/)')
    .option('--epochs <N>', 'distillation epochs (at most; early stop on the held-out images)')
    .option('--seed <S>', 'distillation seed (split, order, scale jitter)')
    .option('--distill-images <N>', 'distill on the first N images only (default all)')
    .requiredOption('-o, --output <file>', 'where to write the variant')
    .option('--json', 'print the layers, skipped convs, errors and MACs as JSON')
    .action(async (modelPath: string, opts: VariantCliOptions) => {
      const model: Model = loadModel(modelPath);
      const inputShapes: Record<string, number[]> = {};
      for (const spec of opts.input) {
        const { name, shape } = parseInputShape(spec);
        if (!name) throw new InputError(`--input ${spec}: name the input, e.g. images=1x3x800x1216`);
        inputShapes[name] = shape;
      }
      const defaulted = defaultInputShape(model, opts.family as FamilyName | undefined, inputShapes);
      if (defaulted) inputShapes[defaulted.name] = defaulted.shape;
      const levels = opts.levels.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      const subnets = list('--subnets', opts.subnets, [...SUBNETS]) as Subnet[];
      const predictors = opts.predictors === 'none' ? [] : (list('--predictors', opts.predictors, [...SUBNETS]) as Subnet[]);
      const towers = opts.towers === undefined ? undefined : opts.towers.split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0) throw new InputError(`--towers ${opts.towers}: expected indices like 0,1,2`);
        return n;
      });
      let fit: VariantOptions['fit'];
      if (opts.fit !== undefined) {
        if (opts.init) throw new InputError(`--init ${opts.init} and --fit exclude each other`);
        if (!opts.family) throw new InputError('--fit needs --family (the calibration images are preprocessed as the family expects)');
        fit = {
          calibDir: typeof opts.fit === 'string' ? opts.fit : dataPath('coco', 'calib'),
          family: opts.family as FamilyName,
          images: positiveInt('--images', opts.images),
          size: positiveInt('--size', opts.size),
          threads: positiveInt('--threads', opts.threads),
          weighted: opts.fitWeighted,
        };
      } else if (opts.fitWeighted) {
        throw new InputError('--fit-weighted goes with --fit');
      }
      let distill: VariantOptions['distill'];
      if (opts.distill !== undefined) {
        const family = opts.family;
        if (!family) throw new InputError('--distill needs --family (the images are preprocessed as the family expects)');
        distill = {
          dir: typeof opts.distill === 'string' ? opts.distill : dataPath('coco'),
          family: family as FamilyName,
          epochs: positiveInt('--epochs', opts.epochs),
          seed: opts.seed === undefined ? undefined : nonNegativeInt('--seed', opts.seed),
          images: positiveInt('--distill-images', opts.distillImages),
          threads: positiveInt('--threads', opts.threads),
          ...distillProgress(opts.json === true),
        };
      } else if (opts.epochs !== undefined || opts.seed !== undefined || opts.distillImages !== undefined) {
        throw new InputError('--epochs, --seed and --distill-images go with --distill');
      }
      const progress = (done: number, total: number) => {
        if (!opts.json && process.stderr.isTTY) process.stderr.write(`\rfitting ${done}/${total}${done === total ? '\n' : ''}`);
      };
      const result = await buildVariant(model, {
        block: opts.block as BlockName,
        levels,
        subnets,
        predictors,
        towers,
        rank: positiveInt('--rank', opts.rank),
        ratio: positiveNumber('--ratio', opts.ratio),
        fit,
        init: fit ? 'fit' : ((opts.init as 'svd' | 'random' | undefined) ?? 'svd'),
        weightsFrom: opts.weights,
        inputShapes,
        onProgress: progress,
        distill,
      });
      saveModel(result.model, opts.output);
      const before = result.sourceProfile;
      const after = profileModel(result.model, { inputShapes });
      if (opts.json) {
        const json = {
          model: modelPath,
          output: opts.output,
          block: opts.block,
          levels,
          layers: result.layers,
          skipped: result.skipped,
          macs: { before: before.totals.macs, after: after.totals.macs, headBefore: headMacs(before, levels), headAfter: headMacs(after, levels) },
          fit: result.fit,
          distill: result.distill,
          ...(defaulted && { input: { name: defaulted.name, shape: defaulted.shape, defaultedFrom: defaulted.source } }),
        };
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        if (defaulted) {
          process.stdout.write(`dynamic input: MACs below are at ${defaulted.name}=${defaulted.shape.join('x')} (${defaulted.source}); --input NAME=1x3xHxW sets another\n`);
        }
        process.stdout.write(report(result, before, after, levels, opts.output));
      }
    });
}
