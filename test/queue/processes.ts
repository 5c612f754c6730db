// The CLI as separate processes (workers and coordinators are killed in these tests), with their output kept
// for the failure message.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/data-dir.ts';

export interface CliProcess {
  child: ChildProcess;
  output: () => string;
  /** Exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

export function flopmap(args: string[]): CliProcess {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => text, exit };
}

/** Polls `check` every 50 ms until it holds. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a process we started (SIGTERM: a worker finishes its units in hand) and waits for it. */
export async function stop(p: CliProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exit;
}
