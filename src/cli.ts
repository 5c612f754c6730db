#!/usr/bin/env node
// The CLI: the only place that parses arguments and prints. Each command lives in src/commands/<name>.ts and
// registers itself on the program; the work itself lives in the stage folders (profiler, coco-eval, ...).
import { Command, CommanderError } from 'commander';
import { InputError } from './errors.ts';
import { registerProfile } from './commands/profile.ts';
import { registerCocoEval } from './commands/coco-eval.ts';
import { registerEval } from './commands/eval.ts';
import { registerVariant } from './commands/variant.ts';
import { registerStudy } from './commands/study.ts';
import { registerPreprocess } from './commands/preprocess.ts';
import { registerWorker } from './commands/worker.ts';
import { registerPrune } from './commands/prune.ts';

export function buildProgram(): Command {
  const program = new Command('flopmap')
    .description('FLOPs-accuracy trade-off of one-stage detectors: profile, variant, eval, preprocess, sweep, report, check, worker')
    .showHelpAfterError()
    .exitOverride();
  registerProfile(program);
  registerCocoEval(program);
  registerEval(program);
  registerVariant(program);
  registerStudy(program);
  registerPreprocess(program);
  registerWorker(program);
  registerPrune(program);
  return program;
}

/** Runs the CLI; bad input exits 2 with one line naming the file and the problem. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
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

const isEntry = process.argv[1] !== undefined && /(?:cli\.ts|flopmap(?:\.js)?)$/.test(process.argv[1]);
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
