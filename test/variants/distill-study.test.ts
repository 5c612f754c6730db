// A study's layerSpecific entry with "distill" adds a distilled point beside the fitted one; the fitted point
// builds the head without training, the distilled one with it.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { planModelPoints } from '../../src/study/points.ts';
import { parseStudy, type LayerSpecificSpec } from '../../src/study/schema.ts';

const base = { name: 'demo', models: [{ id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' }] };

describe('study: distilled points', () => {
  it('adds a -distilled point per entry with distill (true or settings), ids saying which', () => {
    const study = parseStudy(
      { ...base, layerSpecific: [{ block: 'lowrank', levels: ['P3'], ratio: 0.25, distill: true }, { block: 'conv1x1', levels: ['P3'], distill: { epochs: 3, seed: 2 } }, { block: 'lowrank', levels: ['P3'], ratio: 0.125 }] },
      '/x/e.json',
    );
    const points = planModelPoints(study, study.models[0]!, { height: 320, width: 320, side: 320 });
    expect(points.map((p) => [p.id, p.strategy])).toEqual([
      ['nanodet-m@320', 'baseline'],
      ['nanodet-m+lowrank-P3-x0.25@320', 'layer-specific'],
      ['nanodet-m+lowrank-P3-x0.25-distilled@320', 'distilled'],
      ['nanodet-m+conv1x1-P3@320', 'layer-specific'],
      ['nanodet-m+conv1x1-P3-distilled@320', 'distilled'],
      ['nanodet-m+lowrank-P3-x0.125@320', 'layer-specific'],
    ]);
    expect((points[1]!.variant as LayerSpecificSpec).distill).toBeUndefined();
    expect((points[2]!.variant as LayerSpecificSpec).distill).toEqual({});
    expect((points[4]!.variant as LayerSpecificSpec).distill).toEqual({ epochs: 3, seed: 2 });
  });

  it('refuses distill without a fit, and unknown distill settings, naming the field', () => {
    const bad = (entry: object) => () => parseStudy({ ...base, layerSpecific: [entry] }, 'experiments/bad.json');
    expect(bad({ block: 'lowrank', levels: ['P3'], fit: false, distill: true })).toThrow(InputError);
    expect(bad({ block: 'lowrank', levels: ['P3'], fit: false, distill: true })).toThrow(/layerSpecific\.0\.distill/);
    expect(bad({ block: 'lowrank', levels: ['P3'], distill: { rate: 1 } })).toThrow(/distill/);
  });
});
