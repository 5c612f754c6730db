// One sweep per report folder at a time: OUT/sweep.lock holds the pid of the sweep writing there. A second sweep
// of the same study is refused (exit 2, naming the run that holds the lock) instead of computing every unit a
// second time; a lock left by a process that no longer runs (killed, crashed) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileError } from '../errors.ts';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** Whether a process with this pid runs on this machine (signal 0 tests for it without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' ? { pid: h.pid, host: h.host ?? '', started: h.started ?? '', command: h.command ?? '' } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/** Takes OUT/sweep.lock; returns the function that releases it. */
export function lockReportFolder(outDir: string): () => void {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'sweep.lock');
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx'); // fails if the file exists: two sweeps cannot both create it
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && (holder.host !== me.host || alive(holder.pid))) {
        throw fileError(outDir, `a sweep is already running here (pid ${holder.pid} on ${holder.host}, since ${holder.started}: ${holder.command}); wait for it or stop it`);
      }
      rmSync(path, { force: true }); // its process is gone: take the lock over
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return () => {
      if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
    };
  }
  throw fileError(path, 'cannot take the sweep lock');
}
