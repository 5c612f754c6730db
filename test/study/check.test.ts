import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { assertComparable, checkResults } from '../../src/study/check.ts';
import { interpolateAP, onCurve } from '../../src/study/curves.ts';
import type { StudyResults } from '../../src/study/results.ts';
import { point, sampleResults, stats } from './fixtures.ts';

function withPoint(r: StudyResults, id: string, change: (p: StudyResults['points'][number]) => void): StudyResults {
  const copy = structuredClone(r);
  change(copy.points.find((p) => p.id === id)!);
  return copy;
}

describe('check gate', () => {
  const base = sampleResults();

  it('passes identical results and small noise', () => {
    expect(checkResults(base, base).regressed).toEqual([]);
    const noisy = withPoint(base, 'a@256', (p) => (p.stats = stats(0.159)));
    expect(checkResults(base, noisy, 0.02).regressed).toEqual([]);
    const better = withPoint(base, 'a@256', (p) => (p.stats = stats(0.2)));
    expect(checkResults(base, better, 0.02)).toMatchObject({ regressed: [], improved: ['a@256'] });
  });

  it('names a point whose mAP per GFLOP fell', () => {
    const worse = withPoint(base, 'a+conv1x1-P3@320', (p) => (p.stats = stats(0.17)));
    const report = checkResults(base, worse, 0.02);
    expect(report.regressed).toEqual(['a+conv1x1-P3@320']);
    expect(report.points.find((p) => p.id === 'a+conv1x1-P3@320')!.reasons.join()).toMatch(/mAP per GFLOP/);
  });

  it('catches a lighter variant that fell below the baseline curve at its FLOPs', () => {
    // 0.6 -> 0.58 GFLOPs keeps mAP/GFLOP within 1% (0.3167 -> 0.3138), but the baseline's layer-specific
    // curve passes through 0.1856 at 0.58 GFLOPs (between 0.55 -> 0.18 and 0.6 -> 0.19): 0.182 is > 1% below.
    const lighter = withPoint(base, 'a+conv1x1-P3@320', (p) => {
      p.flops = 0.58e9;
      p.stats = stats(0.182);
    });
    const report = checkResults(base, lighter, 0.01);
    expect(report.regressed).toEqual(['a+conv1x1-P3@320']);
    expect(report.points.find((p) => p.regressed)!.reasons.join()).toMatch(/below the baseline curve/);
  });

  it('fails missing and failed points, reports new ones', () => {
    const current = structuredClone(base);
    current.points = current.points.filter((p) => p.id !== 'b@256');
    current.points.find((p) => p.id === 'b@320')!.error = 'onnxruntime: boom';
    current.points.push(point('b@192', 'input-scaling', 0.23, 0.12));
    const report = checkResults(base, current);
    expect(report.regressed.sort()).toEqual(['b@256', 'b@320']);
    expect(report.added).toEqual(['b@192']);
  });

  it('compares FLOPs for profile-only points', () => {
    const flopsOnly: StudyResults = { study: 'r', evaluated: false, images: 0, points: [point('r@800', 'baseline', 460, null)] };
    const heavier = withPoint(flopsOnly, 'r@800', (p) => (p.flops = 480e9));
    expect(checkResults(flopsOnly, flopsOnly).regressed).toEqual([]);
    expect(checkResults(flopsOnly, heavier).regressed).toEqual(['r@800']);
  });

  it('refuses to compare other studies or image sets, saying what differs', () => {
    const withSet = { ...base, imageSet: { ids: Array.from({ length: 20 }, (_, i) => i + 1), annotations: 'aaa' } };
    const ok = () => assertComparable(withSet, structuredClone(withSet), 'base.json', 'cur.json');
    expect(ok).not.toThrow();
    const refused = (cur: StudyResults) => () => assertComparable(withSet, cur, 'base.json', 'cur.json');
    expect(refused({ ...withSet, study: 'other' })).toThrow(/cur\.json: cannot be checked against base\.json: the study differs \(baseline "sample", current "other"\)/);
    expect(refused({ ...withSet, images: 60 })).toThrow(/the image set differs \(baseline 20 images, current 60 images\)/);
    expect(refused({ ...withSet, imageSet: { ids: [...withSet.imageSet.ids.slice(0, 19), 99], annotations: 'aaa' } })).toThrow(/image set differs/);
    expect(refused({ ...withSet, imageSet: { ...withSet.imageSet, annotations: 'bbb' } })).toThrow(/annotations of the image set differs/);
    // a file from before the image set was recorded is compared by its image count
    expect(() => assertComparable(base, withSet, 'base.json', 'cur.json')).not.toThrow();
  });

  it('interpolates linearly and never extrapolates', () => {
    const curve = [point('a@192', 'input-scaling', 0.2, 0.1), point('a@320', 'baseline', 0.6, 0.2)].filter(onCurve);
    expect(curve).toHaveLength(2);
    expect(interpolateAP(curve, 0.4e9)).toBeCloseTo(0.15, 10);
    expect(interpolateAP(curve, 0.1e9)).toBeNull();
    expect(interpolateAP(curve, 0.6e9)).toBe(0.2);
  });

  it('CLI: exit 1 naming the regressed points, 0 when fine, 2 on a bad file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-check-'));
    const files = { base: join(dir, 'base.json'), cur: join(dir, 'cur.json'), bad: join(dir, 'bad.json'), other: join(dir, 'other.json') };
    writeFileSync(files.base, JSON.stringify(base));
    writeFileSync(files.cur, JSON.stringify(withPoint(base, 'b@320', (p) => (p.stats = stats(0.1)))));
    writeFileSync(files.bad, JSON.stringify({ study: 'x', points: [{ id: 'p' }] }));
    writeFileSync(files.other, JSON.stringify({ ...base, images: 60 }));
    const out: string[] = [];
    const err: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
    try {
      const run = async (...args: string[]) => {
        process.exitCode = undefined;
        const code = await main(['node', 'flopmap', 'check', ...args]);
        process.exitCode = undefined;
        return code;
      };
      expect(await run('--baseline', files.base, '--current', files.cur)).toBe(1);
      expect(await run('--baseline', files.base, '--current', files.base)).toBe(0);
      expect(await run('--baseline', files.bad, '--current', files.base)).toBe(2);
      expect(await run('--baseline', files.base, '--current', files.base, '--tolerance', 'lots')).toBe(2);
      expect(await run('--baseline', files.base, '--current', files.other)).toBe(2);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    expect(out.join('')).toMatch(/REGRESSED b@320/);
    expect(out.join('')).toMatch(/1 point\(s\) regressed .*: b@320\n/);
    expect(err.join('')).toMatch(/bad\.json: not a flopmap results\.json: field points\.0\.model/);
    expect(err.join('')).toMatch(/other\.json: cannot be checked against .*base\.json: the image set differs/);
  });
});
