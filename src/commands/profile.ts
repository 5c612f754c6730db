// `flopmap profile MODEL [--input NAME=1x3xHxW] [--json] [--csv FILE] [--strict] [--groups FILE] [--rules]`:
// shapes, MACs/FLOPs/params per node and per group (backbone stages, neck, head per level, post).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { InputError, fileError } from '../errors.ts';
import { readJsonFile } from '../json-file.ts';
import { runtimeInputNames } from '../onnx/image-input.ts';
import { loadModel } from '../onnx/model-io.ts';
import { allRules, profileModel, type GroupRule } from '../profiler/index.ts';
import { formatProfileTable, formatRules, profileCsv, profileJson } from '../profiler/report.ts';

interface ProfileCliOptions {
  input: string[];
  json?: boolean;
  csv?: string;
  strict?: boolean;
  groups?: string;
  rules?: boolean;
  top: string;
}

/** `images=1x3x800x1216` (or `1x3x800x1216` for a model with one input). */
export function parseInputShape(spec: string): { name?: string; shape: number[] } {
  const eq = spec.lastIndexOf('=');
  const name = eq >= 0 ? spec.slice(0, eq) : undefined;
  const dims = (eq >= 0 ? spec.slice(eq + 1) : spec).split(/[x,]/).map((d) => Number(d));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0) || name === '') {
    throw new InputError(`--input ${spec}: expected NAME=1x3xHxW (positive integer dims separated by x)`);
  }
  return { name, shape: dims };
}

const groupRulesSchema = z.array(z.object({ pattern: z.string().min(1), group: z.string().min(1) }));

function readGroupRules(file: string): GroupRule[] {
  const json = readJsonFile(file, '--groups file');
  const parsed = groupRulesSchema.safeParse(json);
  if (!parsed.success) throw fileError(file, 'expected a JSON list of {"pattern": "regex on node names", "group": "head/P3/cls"}');
  return parsed.data;
}

const HELP = `
Conventions: 1 MAC (multiply-accumulate) = 2 FLOPs; totals print both, named. Conv MACs = output elements x
(Cin/group) x kernel area, FLOPs = 2 x MACs + bias adds; MatMul/Gemm likewise; elementwise ops and activations
1 FLOP per output element and 0 MACs; shape ops 0. Params: elements of the float initializers a node reads
(through Identity copies); a tensor read by several nodes (a head shared across levels) counts once in the
total. Run with --rules for every op's rule.
`;

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('MACs, FLOPs and params of an ONNX detector per node and per group (backbone, neck, head/P3..P7 cls/box, post)')
    .argument('[model]', 'ONNX file')
    .option('--input <NAME=1x3xHxW>', 'shape of a dynamic input (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--json', 'print the profile as JSON')
    .option('--csv <file>', 'write one row per node to this CSV file')
    .option('--strict', 'unknown ops and shapes that cannot be inferred are errors, not warnings')
    .option('--groups <file>', 'JSON list of {pattern, group}: nodes whose name matches a pattern go to that group')
    .option('--top <n>', 'how many of the costliest nodes the table lists', '10')
    .option('--rules', 'print the counting rule of every supported op and exit')
    .addHelpText('after', HELP)
    .action(async (model: string | undefined, options: ProfileCliOptions) => {
      if (options.rules) {
        process.stdout.write(formatRules(allRules()));
        return;
      }
      if (!model) throw new InputError('profile: give an ONNX file (or --rules)');
      const loaded = loadModel(model);
      const dynamic = runtimeInputNames(loaded);
      const inputShapes: Record<string, number[]> = {};
      for (const spec of options.input) {
        const { name, shape } = parseInputShape(spec);
        if (name === undefined && dynamic.length !== 1) {
          throw new InputError(`--input ${spec}: the model has ${dynamic.length} inputs (${dynamic.join(', ')}); write NAME=${spec}`);
        }
        inputShapes[name ?? dynamic[0]] = shape;
      }
      const groups = options.groups ? readGroupRules(options.groups) : undefined;
      const top = Number(options.top);
      if (!Number.isInteger(top) || top < 0) throw new InputError(`--top ${options.top}: expected a whole number`);
      let profile;
      try {
        profile = profileModel(loaded, { inputShapes, strict: options.strict, groups });
      } catch (err) {
        if (err instanceof InputError) throw fileError(model, err.message);
        throw err;
      }
      profile.model = model;
      if (options.csv) writeFileSync(options.csv, profileCsv(profile));
      process.stdout.write(options.json ? `${JSON.stringify(profileJson(profile), null, 1)}\n` : formatProfileTable(profile, { top }));
    });
}
