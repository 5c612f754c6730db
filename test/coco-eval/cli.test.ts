// `flopmap coco-eval` end to end: its table, its JSON, and exit 2 on bad input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath, PROJECT_ROOT } from '../../src/data-dir.ts';

function flopmap(...args: string[]) {
  const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'coco-eval', ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('flopmap coco-eval', () => {
  const annotations = dataPath('coco', 'instances_val2017_mini.json');
  const fixture = dataPath('coco', 'fixtures', 'results_jitter_seed1.json');
  const dir = mkdtempSync(join(tmpdir(), 'coco-eval-cli-'));

  it('prints the 12 numbers as pycocotools does', () => {
    const { code, stdout } = flopmap('--annotations', annotations, '--results', fixture);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.263');
    expect(lines[1]).toBe(' Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.662');
    expect(lines[6]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.238');
    expect(lines[9]).toBe(' Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.280');
  });

  it('prints { stats, per_category_AP } with --json', () => {
    const { code, stdout } = flopmap('--annotations', annotations, '--results', fixture, '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { stats: Record<string, number>; per_category_AP: Record<string, number> };
    const expected = JSON.parse(readFileSync(dataPath('coco', 'fixtures', 'expected_jitter_seed1.json'), 'utf8')) as typeof out;
    expect(Object.keys(out)).toEqual(['stats', 'per_category_AP']);
    expect(Object.keys(out.per_category_AP)).toHaveLength(80);
    expect(out.stats.AP).toBeCloseTo(expected.stats.AP, 4);
    expect(out.per_category_AP['58']).toBe(-1);
  });

  it('exits 2 naming the file and the entry of a bad results file', () => {
    const bad = join(dir, 'bad-entry.json');
    writeFileSync(bad, JSON.stringify([{ image_id: 397133, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }, { image_id: 397133, category_id: 1, bbox: [0, 0, -3, 1], score: 1 }]));
    const { code, stderr } = flopmap('--annotations', annotations, '--results', bad);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`flopmap: ${bad}: entry 1: bbox has a negative width or height: [0,0,-3,1]`);
  });

  it('exits 2 on an unknown image id and on malformed JSON', () => {
    const unknown = join(dir, 'unknown-image.json');
    writeFileSync(unknown, JSON.stringify([{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]));
    const a = flopmap('--annotations', annotations, '--results', unknown);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`${unknown}: entry 0: image_id 1 is not an image of the ground truth`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{"image_id": 397133');
    const b = flopmap('--annotations', annotations, '--results', broken);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${broken}: malformed JSON`);
  });

  it('gives the numbers of an empty results list', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '[]');
    const { code, stdout } = flopmap('--annotations', annotations, '--results', empty, '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { stats: Record<string, number>; per_category_AP: Record<string, number> };
    expect(out.stats.AP).toBe(0);
    expect(out.stats.AR100).toBe(0);
    expect(out.per_category_AP['1']).toBe(0);
    expect(out.per_category_AP['58']).toBe(-1);
  });
});
