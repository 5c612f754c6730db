import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli.ts';
import { PROJECT_ROOT } from '../src/data-dir.ts';

describe('flopmap CLI entry', () => {
  it('--help, through the compiled bin, lists every command with its summary and synopsis', () => {
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    for (const c of COMMANDS) {
      expect(run.stdout).toMatch(new RegExp(`^  ${c.name} `, 'm'));
      expect(run.stdout).toContain(`flopmap ${c.synopsis}`);
    }
  });

  it('the help table says what each command module registers (summary = description)', async () => {
    for (const c of COMMANDS) {
      const program = new Command('flopmap');
      (await c.load())(program);
      const registered = program.commands.find((cmd) => cmd.name() === c.name);
      expect(registered?.description(), c.name).toBe(c.summary);
    }
  });

  it('`help NAME` loads that command and shows its options', () => {
    const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'help', 'coco-eval'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--annotations <file>');
  });
});
