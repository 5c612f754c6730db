import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { loadModel } from '../../src/onnx/model-io.ts';
import { profileModel } from '../../src/profiler/index.ts';
import { GraphEditor } from '../../src/onnx/graph-edit.ts';
import { findHeadConvs, headLevels, parseHeadGroup, selectConvs } from '../../src/variants/head-convs.ts';


function headConvs(file: string, inputShapes?: Record<string, number[]>) {
  const model = loadModel(dataPath('models', file));
  const groups = new Map(profileModel(model, { inputShapes }).nodes.map((n) => [n.outputs[0], n.group]));
  return findHeadConvs(new GraphEditor(model), (node) => groups.get(node.output![0]!));
}

const describeConv = (c: ReturnType<typeof headConvs>[number]) => `${c.level}/${c.subnet}/${c.role}${c.index}:${c.node.name}`;

describe('head groups', () => {
  it('parses the profiler group names', () => {
    expect(parseHeadGroup('head/P3/cls')).toEqual({ level: 'P3', subnet: 'cls' });
    expect(parseHeadGroup('head/P5')).toEqual({ level: 'P5', subnet: 'shared' });
    expect(parseHeadGroup('neck')).toBeUndefined();
  });
});

describe(`head convs of the shared models`, () => {
  it('YOLOX-Nano P3: a shared stem, 4 tower convs per subnet, cls/reg/obj predictors', () => {
    const convs = headConvs('yolox_nano_416.onnx');
    expect(headLevels(convs)).toEqual(['P3', 'P4', 'P5']);
    expect(convs.filter((c) => c.level === 'P3').map(describeConv)).toEqual([
      'P3/shared/tower0:Conv_299',
      'P3/cls/tower0:Conv_302', 'P3/cls/tower1:Conv_305', 'P3/cls/tower2:Conv_308', 'P3/cls/tower3:Conv_311',
      'P3/cls/predictor0:Conv_314',
      'P3/box/tower0:Conv_315', 'P3/box/tower1:Conv_318', 'P3/box/tower2:Conv_321', 'P3/box/tower3:Conv_324',
      'P3/box/predictor0:Conv_327', 'P3/box/predictor1:Conv_328',
    ]);
    // Only the cls subnet: the shared stem stays (the box subnet reads it too), no box predictor.
    const cls = selectConvs(convs, { levels: ['P3'], subnets: ['cls'], predictors: ['cls', 'box'] }).map((c) => c.node.name);
    expect(cls).toEqual(['Conv_302', 'Conv_305', 'Conv_308', 'Conv_311', 'Conv_314']);
    // Tower indices count within each subnet: index 0 is the stem, and the first conv of cls and of box.
    const firstTowers = selectConvs(convs, { levels: ['P4'], towers: [0], predictors: [] }).map((c) => c.node.name);
    expect(firstTowers).toEqual(['Conv_332', 'Conv_335', 'Conv_348']);
  });

  it('NanoDet-m: one subnet per level, gfl_cls is the predictor', () => {
    const convs = headConvs('nanodet_m_320.onnx');
    expect(convs.filter((c) => c.level === 'P5').map(describeConv)).toEqual([
      'P5/shared/tower0:Conv_433', 'P5/shared/tower1:Conv_435', 'P5/shared/tower2:Conv_437', 'P5/shared/tower3:Conv_439',
      'P5/shared/predictor0:Conv_441',
    ]);
    expect(selectConvs(convs, { levels: ['P3'], predictors: [] }).length).toBe(4);
  });

  it('RetinaNet: the same convs at five levels, weights shared through Identity nodes', () => {
    const convs = headConvs('retinanet_r50_fpn_zero.onnx.gz', { images: [1, 3, 256, 384] });
    expect(headLevels(convs)).toEqual(['P3', 'P4', 'P5', 'P6', 'P7']);
    for (const level of ['P3', 'P7']) {
      const roles = convs.filter((c) => c.level === level).map((c) => `${c.subnet}/${c.role}`);
      expect(roles).toEqual([...Array(4).fill('cls/tower'), 'cls/predictor', ...Array(4).fill('box/tower'), 'box/predictor']);
    }
  });
});
