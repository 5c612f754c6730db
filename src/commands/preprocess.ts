// `flopmap preprocess IMAGE --family F [--size S] [-o X.npy] [--compare REF.npy] [--json]`: the exact network
// input a family's reference pipeline feeds its detector ([1,3,H,W] float32, as a NumPy .npy), for comparing
// with a training pipeline; --compare reports how far a reference .npy (or .npy.gz) is from it.
import { Option, type Command } from 'commander';
import { compareInputs, type InputComparison } from '../detection/compare-inputs.ts';
import { readNpy, writeNpy } from '../detection/npy.ts';
import { prepareReferenceInput } from '../detection/reference-input.ts';
import { fileError } from '../errors.ts';
import { FAMILY_NAMES, getFamily } from '../detection/index.ts';
import { positiveInt } from './options.ts';

interface PreprocessOptions {
  family: string;
  size?: string;
  output?: string;
  compare?: string;
  json?: boolean;
}

export function registerPreprocess(program: Command): void {
  program
    .command('preprocess')
    .description("write the exact network input of a family's reference preprocessing as a .npy [1,3,H,W] float32")
    .argument('<image>', 'image file (JPEG, PNG, ...)')
    .addOption(new Option('--family <name>', 'whose preprocessing').choices([...FAMILY_NAMES]).makeOptionMandatory())
    .option('--size <S>', 'input size: square side (nanodet, yolox) or shorter side (retinanet); default: the family default')
    .option('-o, --output <file>', 'write the input as a NumPy .npy file')
    .option('--compare <file>', 'compare with a reference input (.npy or .npy.gz of the same shape)')
    .option('--json', 'print { image, family, size, dims, content, transform, output, compare } as JSON')
    .action(async (image: string, options: PreprocessOptions) => {
      const family = getFamily(options.family);
      const size = positiveInt('--size', options.size) ?? family.defaultSize;
      const input = await prepareReferenceInput(image, family.resizeSpec(size), family.pixelFormat);
      if (options.output) writeNpy(options.output, input.tensor, input.dims);
      let comparison: InputComparison | undefined;
      if (options.compare) {
        const reference = readNpy(options.compare);
        const same = reference.shape.length === 4 && reference.shape.every((d, i) => d === input.dims[i]);
        if (!same) throw fileError(options.compare, `shape [${reference.shape.join(',')}] differs from the input's [${input.dims.join(',')}]`);
        // cv2 families are compared in grey levels (differences times std), RetinaNet in normalised units.
        const units = family.name === 'retinanet' ? undefined : family.pixelFormat.std;
        comparison = compareInputs(input.tensor, reference.data, units);
      }
      const summary = {
        image,
        family: family.name,
        size,
        dims: input.dims,
        content: [input.contentHeight, input.contentWidth],
        transform: input.transform,
        ...(options.output && { output: options.output }),
        ...(comparison && options.compare && { compare: { file: options.compare, ...comparison } }),
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
        return;
      }
      const t = input.transform;
      const lines = [
        `${image} (${t.imageWidth}x${t.imageHeight}) -> ${family.name} input [${input.dims.join(',')}], content ${input.contentWidth}x${input.contentHeight}`,
        `boxes back to the image: x = (x_in - ${t.offsetX}) / ${t.scaleX}, y = (y_in - ${t.offsetY}) / ${t.scaleY}`,
      ];
      if (options.output) lines.push(`written to ${options.output}`);
      if (comparison) {
        const unit = comparison.unit === 'grey' ? 'grey levels' : '(normalised)';
        lines.push(
          `vs ${options.compare}: max difference ${fmt(comparison.maxDifference)} ${unit}; ${comparison.equal} of ${comparison.values} values equal; ` +
            `${(100 * comparison.fractionOverOne).toFixed(3)}% differ by more than 1${comparison.unit === 'grey' ? ' grey level' : ''}`,
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function fmt(v: number): string {
  return v === 0 ? '0' : v >= 0.01 ? v.toFixed(3) : v.toExponential(2);
}
