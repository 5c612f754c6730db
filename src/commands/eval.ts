// `flopmap eval --model MODEL --family retinanet|nanodet|yolox --coco DIR [--images DIR] [--annotations FILE]
//  [--size S] [--limit N] [--threads N] [--out RES.json] [--json]`: runs a detector on COCO images at one input
// size and prints its mAP, MACs and speed (JSON: { model, family, size, images, seconds, macs, stats }).
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { defaultParams, loadGroundTruth, summaryLines } from '../coco-eval/index.ts';
import { InputError } from '../errors.ts';
import { FAMILY_NAMES, getFamily, listAnnotatedImages, resolveCocoDir, runDetection, type FamilyName } from '../detection/index.ts';
import { assertImagesExist } from '../detection/coco-dir.ts';
import { giga } from '../units.ts';
import { positiveInt } from './options.ts';

interface EvalOptions {
  model: string;
  family: string;
  coco?: string;
  images?: string;
  annotations?: string;
  size?: string;
  limit?: string;
  threads?: string;
  scoreThreshold?: string;
  nmsThreshold?: string;
  maxDetections?: string;
  out?: string;
  json?: boolean;
}

function fraction(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InputError(`${flag} ${value}: expected a number in [0, 1]`);
  return n;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('run a detector on COCO images at one input size: mAP (pycocotools protocol), MACs, images/s')
    .requiredOption('--model <file>', 'ONNX detector')
    .addOption(new Option('--family <name>', 'pre/post-processing of the detector').choices([...FAMILY_NAMES]).makeOptionMandatory())
    .option('--coco <dir>', 'COCO folder: DIR/val2017/ and the one DIR/instances_val2017*.json')
    .option('--images <dir>', 'image folder (overrides DIR/val2017)')
    .option('--annotations <file>', 'ground-truth annotations (overrides DIR/instances_val2017*.json)')
    .option('--size <S>', 'input size: square side (nanodet, yolox; multiple of 32) or shorter side (retinanet)')
    .option('--limit <N>', 'only the first N images (by id)')
    .option('--threads <N>', 'onnxruntime intra-op threads', '1')
    .option('--score-threshold <t>', 'candidate score threshold (default: the family reference value)')
    .option('--nms-threshold <t>', 'class-wise NMS IoU threshold (default: the family reference value)')
    .option('--max-detections <N>', 'detections kept per image (default: the family reference value)')
    .option('--out <file>', 'write the detections as a COCO results file')
    .option('--json', 'print { model, family, size, images, seconds, macs, flops, stats } as JSON')
    .action(async (options: EvalOptions) => {
      if (!options.coco && !(options.images && options.annotations)) {
        throw new InputError('--coco DIR (or both --images and --annotations) is required');
      }
      const family = getFamily(options.family);
      const paths = resolveCocoDir(options.coco ?? '.', { imagesDir: options.images, annotationsPath: options.annotations });
      const limit = positiveInt('--limit', options.limit);
      // Every listed image must be there before the model loads: a missing one fails now, not after the others ran.
      const listed = listAnnotatedImages(loadGroundTruth(paths.annotationsPath));
      assertImagesExist(paths.imagesDir, limit === undefined ? listed : listed.slice(0, limit), paths.annotationsPath);
      const showProgress = !options.json && process.stderr.isTTY === true;
      const bar = showProgress
        ? new cliProgress.SingleBar({ format: 'eval {bar} {value}/{total} images | {eta_formatted} left', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      let started = false;
      let run;
      try {
        run = await runDetection({
          modelPath: options.model,
          family: family.name as FamilyName,
          imagesDir: paths.imagesDir,
          annotationsPath: paths.annotationsPath,
          size: positiveInt('--size', options.size),
          limit,
          threads: positiveInt('--threads', options.threads),
          decode: {
            ...(options.scoreThreshold !== undefined && { scoreThreshold: fraction('--score-threshold', options.scoreThreshold) }),
            ...(options.nmsThreshold !== undefined && { nmsThreshold: fraction('--nms-threshold', options.nmsThreshold) }),
            ...(options.maxDetections !== undefined && { maxDetections: positiveInt('--max-detections', options.maxDetections) }),
          },
          onProgress: (done, total) => {
            if (!bar) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.update(done);
          },
        });
      } finally {
        if (started) bar?.stop();
      }
      if (options.out) writeFileSync(options.out, JSON.stringify(run.detections));
      const summary = {
        model: run.model,
        family: run.family,
        size: run.size,
        images: run.images,
        seconds: run.seconds,
        macs: run.macs,
        flops: run.flops,
        macs_input: run.macsInput,
        stats: run.stats,
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
        return;
      }
      const lines = [
        `${run.model} (${run.family}) at size ${run.size}: ${run.images} images in ${run.seconds.toFixed(1)} s (${(run.images / run.seconds).toFixed(1)} images/s)`,
        `${giga(run.macs)} GMACs = ${giga(run.flops)} GFLOPs per image at input ${run.macsInput.join('x')}`,
        ...summaryLines(run.stats, defaultParams()),
      ];
      if (options.out) lines.push(`detections written to ${options.out} (${run.detections.length})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
