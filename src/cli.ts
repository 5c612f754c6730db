#!/usr/bin/env node
// The CLI: the only place that parses arguments and prints. Each command lives in src/commands/<name>.ts and
// registers itself on the program; the work itself lives in the stage folders (profiler, coco-eval, ...).
// Only the module of the command being run is loaded (onnxruntime, sharp and vega cost a second to load), so
// the top-level help lists the commands from the table below rather than from their modules.
import { Command, CommanderError } from 'commander';
import { InputError } from './errors.ts';

type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  /** The line the top-level help shows for the command. */
  synopsis: string;
  /** Must equal the description the command's module registers (test/cli.test.ts checks it). */
  summary: string;
  load: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'profile',
    synopsis: 'profile MODEL.onnx [--input images=1x3xHxW] [--json] [--csv FILE] [--rules]',
    summary: 'MACs, FLOPs and params of an ONNX detector per node and per group (backbone, neck, head/P3..P7 cls/box, post)',
    load: async () => (await import('./commands/profile.ts')).registerProfile,
  },
  {
    name: 'coco-eval',
    synopsis: 'coco-eval --annotations GT.json --results RES.json [--json]',
    summary: 'COCO bbox evaluation of a results file, identical to pycocotools COCOeval (12 summary numbers)',
    load: async () => (await import('./commands/coco-eval.ts')).registerCocoEval,
  },
  {
    name: 'eval',
    synopsis: 'eval --model MODEL.onnx --family nanodet|yolox|retinanet --coco DIR [--size S] [--out RES.json]',
    summary: 'run a detector on COCO images at one input size: mAP (pycocotools protocol), MACs, images/s',
    load: async () => (await import('./commands/eval.ts')).registerEval,
  },
  {
    name: 'variant',
    synopsis: 'variant MODEL.onnx --block conv1x1|dwsep|bottleneck|lowrank --levels P3 [--fit DIR --family F] -o OUT.onnx',
    summary: 'replace head convs at chosen pyramid levels by lighter blocks (weights fitted, projected, random or trained)',
    load: async () => (await import('./commands/variant.ts')).registerVariant,
  },
  {
    name: 'prune',
    synopsis: 'prune MODEL.onnx --family F [--flops 0.8] [--fit [DIR]] [--input NAME=1x3xHxW] -o OUT.onnx [--json]',
    summary: 'channel pruning under a MACs budget: coupled channel groups, per-group levels from measured sensitivity, least-squares refit, optional whole-network distillation',
    load: async () => (await import('./commands/prune.ts')).registerPrune,
  },
  {
    name: 'preprocess',
    synopsis: 'preprocess IMAGE --family nanodet|yolox|retinanet [--size S] [-o X.npy] [--compare REF.npy] [--json]',
    summary: "write the exact network input of a family's reference preprocessing as a .npy [1,3,H,W] float32",
    load: async () => (await import('./commands/preprocess.ts')).registerPreprocess,
  },
  {
    name: 'sweep',
    synopsis: 'sweep experiments/NAME.json [--out DIR] [--threads N] [--queue redis://HOST:PORT] [--json]',
    summary: 'run a study (experiments/NAME.json): every model variant x input size, profiled, run and scored; writes reports/NAME/',
    load: async () => (await import('./commands/study.ts')).registerStudy,
  },
  {
    name: 'report',
    synopsis: 'report reports/NAME/results.json [-o FILE]',
    summary: 'rebuild a study page (index.html) from its results.json alone',
    load: async () => (await import('./commands/study.ts')).registerStudy,
  },
  {
    name: 'check',
    synopsis: 'check --baseline BASE.json --current RES.json [--tolerance T] [--json]',
    summary: 'CI gate: exit 1 when a point of --current lost mAP per GFLOP (or mAP at the same FLOPs) against --baseline',
    load: async () => (await import('./commands/study.ts')).registerStudy,
  },
  {
    name: 'worker',
    synopsis: 'worker --queue redis://HOST:PORT [--concurrency N] [--threads N] [--coco DIR] [--dir DIR]',
    summary: 'run the units of sweeps started with `flopmap sweep STUDY --queue URL`, until stopped',
    load: async () => (await import('./commands/worker.ts')).registerWorker,
  },
];

function newProgram(): Command {
  return new Command('flopmap')
    .description('FLOPs-accuracy trade-off of one-stage detectors: profile, variant, eval, preprocess, sweep, report, check, worker')
    .showHelpAfterError()
    .exitOverride();
}

/** The command asked for, if any: the first argument that is not an option (`help NAME` asks for NAME). */
function commandName(argv: string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program for these arguments: with a known command, only that command's module is loaded and registered;
 * otherwise (help, no command, an unknown one) every command is listed from COMMANDS, with its synopsis.
 */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = newProgram();
  const entry = COMMANDS.find((c) => c.name === commandName(argv));
  if (entry) {
    (await entry.load())(program);
    return program;
  }
  for (const c of COMMANDS) program.command(c.name).description(c.summary);
  const synopses = COMMANDS.map((c) => `  flopmap ${c.synopsis}`).join('\n');
  program.addHelpText('after', `\nSynopsis (flopmap COMMAND --help for every option):\n${synopses}\n`);
  return program;
}

/** Runs the CLI; bad input exits 2 with one line naming the file and the problem. */
export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help, version, unknown option...).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`flopmap: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const isEntry = process.argv[1] !== undefined && /(?:cli\.[jt]s|flopmap(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  // Exit only once stdout and stderr have drained: exiting at once cuts piped output (e.g. a large --json).
  const exitAfterFlush = (code: number): void => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  };
  main(process.argv).then(exitAfterFlush, (err: unknown) => {
    process.stderr.write(`flopmap: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfterFlush(1);
  });
}
