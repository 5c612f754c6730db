import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { PROJECT_ROOT } from '../../src/data-dir.ts';
import { lockReportFolder } from '../../src/study/lock.ts';

describe('one sweep per report folder', () => {
  it('refuses a second sweep while the first holds the lock, naming it; frees the lock on release', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-lock-'));
    const release = lockReportFolder(dir);
    const held = JSON.parse(readFileSync(join(dir, 'sweep.lock'), 'utf8')) as { pid: number };
    expect(held.pid).toBe(process.pid);
    expect(() => lockReportFolder(dir)).toThrow(new RegExp(`a sweep is already running here \\(pid ${process.pid} on `));
    release();
    expect(existsSync(join(dir, 'sweep.lock'))).toBe(false);
    lockReportFolder(dir)();
  });

  it('a sweep that fails before running (an unreachable queue) leaves no lock behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-lock-'));
    const study = join(PROJECT_ROOT, 'experiments', 'ci-gate.json');
    const err: string[] = [];
    const writeErr = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'flopmap', 'sweep', study, '--out', dir, '--queue', 'http://127.0.0.1:6379'])).toBe(2);
    } finally {
      process.stderr.write = writeErr;
    }
    expect(err.join('')).not.toMatch(/already running/);
    expect(existsSync(join(dir, 'sweep.lock'))).toBe(false);
  });

  it('takes over the lock of a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-lock-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout); // that process has exited
    writeFileSync(join(dir, 'sweep.lock'), JSON.stringify({ pid: deadPid, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'sweep' }));
    const release = lockReportFolder(dir);
    expect((JSON.parse(readFileSync(join(dir, 'sweep.lock'), 'utf8')) as { pid: number }).pid).toBe(process.pid);
    release();
  });
});
