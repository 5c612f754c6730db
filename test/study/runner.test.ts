// The sweep on real data (NanoDet-m on 3 COCO images): resume from the cache, failures recorded per point.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { realStages } from '../../src/study/real-stages.ts';
import { loadResults } from '../../src/study/results.ts';
import { runStudy, type StudyEvent } from '../../src/study/runner.ts';
import { parseStudy } from '../../src/study/schema.ts';
import type { StudyStages } from '../../src/study/stages.ts';


/** The real stages, counting the detection runs (one per unit of work actually computed). */
function countingStages(): { stages: StudyStages; calls: string[] } {
  const real = realStages();
  const calls: string[] = [];
  return {
    calls,
    stages: {
      ...real,
      detect: (o) => {
        calls.push(`${o.size.height}:${o.annotationsPath}`);
        return real.detect(o);
      },
    },
  };
}

const nanodet = { id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' };

describe(`sweep runner`, () => {
  it('resumes from the cache: a finished unit is never run again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flopmap-sweep-'));
    const study = parseStudy(
      { name: 'resume', models: [nanodet], data: { images: 3, shardSize: 2 }, inputScaling: { sizes: [256] } },
      '/x/resume.json',
    );
    const first = countingStages();
    const events: StudyEvent[] = [];
    const r1 = await runStudy(study, { outDir: out, stages: first.stages, onEvent: (e) => events.push(e) });
    expect(first.calls).toHaveLength(4); // 2 points x 2 shards (2 + 1 images)
    expect(r1.points.map((p) => [p.id, p.strategy, p.images, p.error])).toEqual([
      ['nanodet-m@320', 'baseline', 3, undefined],
      ['nanodet-m@256', 'input-scaling', 3, undefined],
    ]);
    expect(r1.points[0]!.stats!.AP).toBeGreaterThan(0);
    // results.json names its study and image set (the 3 lowest ids of coco206, the hash of their annotations)
    expect(r1.study).toBe('resume');
    expect(r1.imageSet?.ids).toHaveLength(3);
    expect(r1.imageSet?.ids).toEqual([...r1.imageSet!.ids].sort((a, b) => a - b));
    expect(r1.imageSet?.annotations).toMatch(/^[0-9a-f]{16,}$/);
    expect(r1.points[1]!.flops).toBeLessThan(r1.points[0]!.flops * 0.7); // (256/320)^2 = 0.64 of the convs
    expect(events.filter((e) => e.kind === 'point-end')).toHaveLength(2);

    const again = countingStages();
    const r2 = await runStudy(study, { outDir: out, stages: again.stages });
    expect(again.calls).toEqual([]);
    expect(r2.points).toEqual(r1.points);

    // A sweep killed in the middle of a point: its numbers and one of its units are lost, the other unit is kept.
    const cache = join(out, 'cache');
    for (const f of readdirSync(join(cache, 'points'))) rmSync(join(cache, 'points', f));
    const units = readdirSync(join(cache, 'units')).sort();
    rmSync(join(cache, 'units', units[0]!));
    const resumed = countingStages();
    const r3 = await runStudy(study, { outDir: out, stages: resumed.stages });
    expect(resumed.calls).toHaveLength(1);
    expect(r3.points.map((p) => p.stats)).toEqual(r1.points.map((p) => p.stats));
  });

  it('records a failing point and finishes the others', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flopmap-sweep-'));
    const study = parseStudy(
      {
        name: 'failing',
        models: [nanodet, { id: 'missing', path: 'no-such-model.onnx', family: 'yolox', size: 416 }],
        data: { images: 3 },
        inputScaling: { sizes: [250] }, // NanoDet runs at multiples of 32 only
      },
      join(tmpdir(), 'failing.json'),
    );
    const r = await runStudy(study, { outDir: out, stages: realStages() });
    const summary = Object.fromEntries(r.points.map((p) => [p.id, p.error === undefined ? 'ok' : p.error]));
    expect(Object.keys(summary)).toEqual(['nanodet-m@320', 'nanodet-m@250', 'missing@416', 'missing@250']);
    expect(summary['nanodet-m@320']).toBe('ok');
    expect(summary['nanodet-m@250']).toMatch(/250/);
    expect(summary['missing@416']).toMatch(/no-such-model\.onnx/);
  });
});

describe(`flopmap sweep, profile-only study on the zero-weight RetinaNet graph`, () => {
  it('writes FLOPs-only points and a page that says there is no mAP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-rn-'));
    const file = join(dir, 'rn.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'rn',
        models: [{ id: 'retinanet', path: '${data}/models/retinanet_r50_fpn_zero.onnx.gz', family: 'retinanet', size: 800 }],
        data: { evaluate: false },
        inputScaling: { sizes: [512] },
        layerSpecific: [{ block: 'conv1x1', levels: ['P3'], fit: false, init: 'random' }],
      }),
    );
    const out = join(dir, 'out');
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'flopmap', 'sweep', file, '--out', out]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(0);
    const results = loadResults(join(out, 'results.json'));
    expect(results.evaluated).toBe(false);
    const [base, small, light] = results.points;
    expect(results.points.map((p) => [p.id, p.height, p.width, p.stats, p.error])).toEqual([
      ['retinanet@800', 800, 1216, null, undefined],
      ['retinanet@512', 512, 768, null, undefined],
      ['retinanet+conv1x1-P3-random@800', 800, 1216, null, undefined],
    ]);
    const p3 = (p: typeof base) => p!.groups.filter((g) => g.name.startsWith('head/P3')).reduce((s, g) => s + g.flops, 0);
    expect(small!.flops / base!.flops).toBeCloseTo((512 * 768) / (800 * 1216), 1);
    expect(p3(light)).toBeLessThan(p3(base) / 4); // 3x3 -> 1x1 tower convs and class predictor
    expect(light!.flops).toBeLessThan(base!.flops);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/id="no-map"/);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  });
});
