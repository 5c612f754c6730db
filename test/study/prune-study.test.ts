// A study's channelPruning entry end to end: the pruned point is built by `prune` (refit on training images,
// never evaluation ones), its distilled twin trains that same cached model (built once), both are scored and
// compared against input scaling, and the report draws their curves.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realStages } from '../../src/study/real-stages.ts';
import { writeReport } from '../../src/study/report.ts';
import { runStudy } from '../../src/study/runner.ts';
import { parseStudy } from '../../src/study/schema.ts';

describe('study: channel pruning points', () => {
  it('prunes once, distils the pruned model, and scores and compares both', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flopmap-prune-study-'));
    const study = parseStudy(
      {
        name: 'prune-study',
        models: [{ id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' }],
        data: { images: 8, shardSize: 8 },
        inputScaling: { sizes: [256] },
        channelPruning: [{ flops: 0.9, allocation: 'uniform', calibImages: 4, distill: { epochs: 1, images: 2 } }],
        bootstrap: { replicates: 200, seed: 3 },
      },
      '/x/prune-study.json',
    );
    const notes: string[] = [];
    const r = await runStudy(study, { outDir: out, stages: realStages(2), onEvent: (e) => { if (e.kind === 'note') notes.push(`${e.id}: ${e.message}`); } });
    expect(r.points.map((p) => [p.id, p.strategy, p.variant, p.error])).toEqual([
      ['nanodet-m@320', 'baseline', null, undefined],
      ['nanodet-m@256', 'input-scaling', null, undefined],
      ['nanodet-m+prune-x0.9-uniform@320', 'channel-pruning', 'prune-x0.9-uniform', undefined],
      ['nanodet-m+prune-x0.9-uniform-distilled@320', 'pruned-distilled', 'prune-x0.9-uniform-distilled', undefined],
    ]);
    const [baseline, , pruned, distilled] = r.points;
    // The budget is met (the plan's exact MACs, at most 2 points under it), and distillation moves no channel.
    expect(pruned!.macs / baseline!.macs).toBeLessThanOrEqual(0.9);
    expect(pruned!.macs / baseline!.macs).toBeGreaterThan(0.88);
    expect(distilled!.macs).toBe(pruned!.macs);
    expect(distilled!.params).toBe(pruned!.params);
    for (const p of [pruned!, distilled!]) expect(p.stats!.AP, p.id).toBeGreaterThan(0);
    // Built models in the cache: the pruned one once (the distilled point starts from it), the distilled one, and
    // the baseline resized to 256.
    const models = readdirSync(join(out, 'cache', 'models')).filter((f) => f.endsWith('.onnx'));
    expect(models).toHaveLength(3);
    expect(r.comparisons!.map((c) => c.point)).toEqual(['nanodet-m+prune-x0.9-uniform@320', 'nanodet-m+prune-x0.9-uniform-distilled@320']);
    // The sweep says what distillation did (its held-out loss, start and best), on the distilled point only.
    const said = notes.filter((n) => n.includes('distilled: held-out loss'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^nanodet-m\+prune-x0\.9-uniform-distilled@320: distilled: held-out loss \d+\.\d{4} -> \d+\.\d{4} \((best epoch 1|no held-out gain, weights unchanged); 1 epochs, \d+ s\)$/);
    const files = await writeReport(out, r);
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('nanodet-m · channel pruning, distilled');
    expect(html).toContain('nanodet-m · channel pruning');
  }, 180_000);
});
