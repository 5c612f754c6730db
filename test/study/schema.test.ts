import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDir } from '../../src/data-dir.ts';
import { InputError } from '../../src/errors.ts';
import { planModelPoints, planShards, variantId } from '../../src/study/points.ts';
import { loadStudy, parseStudy } from '../../src/study/schema.ts';
import { FAMILY_NAMES } from '../../src/detection/families/index.ts';
import { BLOCKS, SUBNETS } from '../../src/variants/index.ts';

const minimal = { name: 'demo', models: [{ id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' }] };

function errorOf(json: unknown, file = 'experiments/bad.json'): string {
  try {
    parseStudy(json, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('study file schema', () => {
  it('fills defaults and applies the path rule (${data} -> data folder, else relative to the study file)', () => {
    const s = parseStudy({ ...minimal, data: { coco: '../coco-local' } }, '/x/experiments/demo.json');
    expect(s.models[0]!.path).toBe(join(dataDir(), 'models/nanodet_m_320.onnx'));
    expect(s.data).toEqual({ coco: '/x/coco-local', shardSize: 50, evaluate: true });
    expect(s.threads).toBe(1);
    expect(parseStudy(minimal, '/x/e.json').data.coco).toBe(join(dataDir(), 'coco206'));
  });

  it('names the file and the field', () => {
    expect(errorOf({ ...minimal, threads: 0 })).toMatch(/^experiments\/bad\.json: .*field threads: /);
    expect(errorOf({ ...minimal, models: [{ ...minimal.models[0], family: 'ssd' }] })).toMatch(/field models\.0\.family: /);
    expect(errorOf({ ...minimal, inputScaling: { sizes: [320, '320by320'] } })).toMatch(/field inputScaling\.sizes\.1: /);
    expect(errorOf({ ...minimal, layerSpecific: [{ block: 'conv3x3', levels: ['P3'] }] })).toMatch(/field layerSpecific\.0\.block/);
    expect(errorOf({ ...minimal, modles: [] })).toMatch(/Unrecognized key.*modles/);
    expect(errorOf({ models: minimal.models })).toMatch(/field name: /);
    expect(errorOf({ ...minimal, models: [minimal.models[0], minimal.models[0]] })).toMatch(/models\.1\.id: duplicate/);
    expect(errorOf({ ...minimal, layerSpecific: [{ block: 'dwsep', levels: ['P3'], init: 'svd' }] })).toMatch(/layerSpecific\.0\.init: only with "fit": false/);
    const half = { id: 'half', path: '${data}/models/nanodet_m_0.5x_320.onnx', family: 'nanodet' };
    expect(errorOf({ ...minimal, models: [...minimal.models, { ...half, strategy: 'channel-pruning' }] })).toMatch(/models\.1\.strategy: only with "of"/);
    expect(errorOf({ ...minimal, models: [...minimal.models, { ...half, of: 'yolox' }] })).toMatch(/models\.1\.of: "yolox" is not another model/);
    expect(errorOf({ ...minimal, models: [...minimal.models, { ...half, of: 'nanodet-m', family: 'yolox' }] })).toMatch(/models\.1\.family: /);
    expect(errorOf({ ...minimal, bootstrap: { replicates: 0 } })).toMatch(/field bootstrap\.replicates: /);
  });

  it('reads a trained variant file as one point on its model\'s curve', () => {
    const s = parseStudy(
      { ...minimal, models: [...minimal.models, { id: 'half', path: '${data}/models/nanodet_m_0.5x_320.onnx', family: 'nanodet', of: 'nanodet-m', strategy: 'channel-pruning' }], inputScaling: { sizes: [256] }, layerSpecific: [{ block: 'conv1x1', levels: ['P3'] }] },
      '/x/e.json',
    );
    expect(s.bootstrap).toEqual({ replicates: 1000, seed: 1 });
    expect(s.latency).toEqual({ runs: 20 });
    const plans = planModelPoints(s, s.models[1]!, { height: 320, width: 320, side: 320 });
    expect(plans.map((p) => [p.id, p.strategy, p.variantId])).toEqual([['nanodet-m+half@320', 'channel-pruning', 'half']]);
  });

  it('reports unreadable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-study-'));
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(() => loadStudy(join(dir, 'broken.json'))).toThrow(/broken\.json: malformed JSON/);
    expect(() => loadStudy(join(dir, 'absent.json'))).toThrow(/absent\.json: no such study file/);
  });
});

describe('points and shards', () => {
  it('gives every (model variant, size) a stable id, the native size once', () => {
    const s = parseStudy(
      {
        ...minimal,
        inputScaling: { sizes: [320, 256, '192x256', 256] },
        layerSpecific: [{ block: 'conv1x1', levels: ['P3'] }, { block: 'lowrank', levels: ['P3', 'P4'], rank: 16, fit: false, init: 'random' }, { block: 'dwsep', levels: ['P3'], fit: false }],
      },
      '/x/e.json',
    );
    const ids = planModelPoints(s, s.models[0]!, { height: 320, width: 320 }).map((p) => `${p.strategy}:${p.id}`);
    expect(ids).toEqual([
      'baseline:nanodet-m@320',
      'input-scaling:nanodet-m@256',
      'input-scaling:nanodet-m@192x256',
      'layer-specific:nanodet-m+conv1x1-P3@320',
      'layer-specific:nanodet-m+lowrank-P3+P4-r16-random@320',
      'layer-specific:nanodet-m+dwsep-P3-svd@320',
    ]);
    expect(variantId(s.layerSpecific[0]!)).toBe('conv1x1-P3');
  });

  it('gives channel pruning its own strategy and ids (a third curve)', () => {
    const s = parseStudy({ ...minimal, channelPruning: [{ flops: 0.8 }, { flops: 0.8, allocation: 'uniform' }, { flops: 0.8, fit: false }] }, '/x/e.json');
    expect(s.channelPruning[0]!.fit).toBe(join(dataDir(), 'coco'));
    const ids = planModelPoints(s, s.models[0]!, { height: 320, width: 320 }).map((p) => `${p.strategy}:${p.id}`);
    expect(ids.slice(1)).toEqual([
      'channel-pruning:nanodet-m+prune-x0.8@320',
      'channel-pruning:nanodet-m+prune-x0.8-uniform@320',
      'channel-pruning:nanodet-m+prune-x0.8-normonly@320',
    ]);
    expect(errorOf({ ...minimal, channelPruning: [{ flops: 1.2 }] })).toMatch(/field channelPruning\.0\.flops/);
  });

  it('adds a distilled pruned point beside the refitted one, and refuses distilling a norm-only model', () => {
    const s = parseStudy({ ...minimal, channelPruning: [{ flops: 0.8, distill: { epochs: 3 } }] }, '/x/e.json');
    const plans = planModelPoints(s, s.models[0]!, { height: 320, width: 320 }).slice(1);
    expect(plans.map((p) => `${p.strategy}:${p.id}`)).toEqual([
      'channel-pruning:nanodet-m+prune-x0.8@320',
      'pruned-distilled:nanodet-m+prune-x0.8-distilled@320',
    ]);
    // The refitted point's spec has no distillation; the distilled one carries its settings.
    expect(plans[0]!.variant).not.toHaveProperty('distill');
    expect(plans[1]!.variant).toMatchObject({ flops: 0.8, distill: { epochs: 3 } });
    expect(errorOf({ ...minimal, channelPruning: [{ flops: 0.8, fit: false, distill: true }] })).toMatch(/field channelPruning\.0\.distill: only with a refitted model/);
  });

  it('splits images into shards in id order', () => {
    expect(planShards([1, 2, 3, 4, 5], 2).map((s) => s.imageIds)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('accepts every family, block and subnet the stages define (the vocabulary is theirs, not redeclared)', () => {
    for (const family of FAMILY_NAMES) {
      expect(parseStudy({ name: 'v', models: [{ ...minimal.models[0], family }] }, '/x/e.json').models[0]!.family).toBe(family);
    }
    const layerSpecific = BLOCKS.map((block) => ({ block, levels: ['P3'], subnets: [...SUBNETS], fit: false }));
    expect(parseStudy({ ...minimal, layerSpecific }, '/x/e.json').layerSpecific.map((l) => l.block)).toEqual([...BLOCKS]);
  });
});
