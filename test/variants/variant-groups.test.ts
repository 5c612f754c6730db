// A variant keeps the profiler's groups: groups no surgery touched keep their MACs exactly, and each
// replaced level holds its old MACs minus the replaced convs plus the new blocks (issue 10: a lowrank P3
// factor used to land in the neck, and a P3+P4 variant's blocks in head/P5).
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/model-io.ts';
import { readReplacedGroups, REPLACED_CONVS_KEY } from '../../src/onnx/replaced-groups.ts';
import { profileModel, type Profile } from '../../src/profiler/index.ts';
import { buildVariant } from '../../src/variants/index.ts';

function groupMacs(p: Profile): Map<string, number> {
  return new Map(p.groups.map((g) => [g.name, g.macs]));
}

const cases = [
  { model: 'yolox_nano_416.onnx', levels: ['P3'], ratio: 0.25 },
  { model: 'yolox_nano_416.onnx', levels: ['P3', 'P4'], ratio: 0.125 },
  { model: 'nanodet_m_320.onnx', levels: ['P3'], ratio: 0.25 },
  { model: 'nanodet_m_320.onnx', levels: ['P3', 'P4'], ratio: 0.125 },
];

describe('groups of a lowrank variant', () => {
  for (const c of cases) {
    it(`${c.model} ${c.levels.join('+')} x${c.ratio}: untouched groups exact, blocks in their levels`, async () => {
      const original = loadModel(dataPath('models', c.model));
      const result = await buildVariant(original, { block: 'lowrank', levels: c.levels, ratio: c.ratio, init: 'svd' });
      // Through bytes, as a variant file is read back.
      const variant = decodeModel(encodeModel(result.model), 'variant');
      const before = profileModel(original);
      const after = profileModel(variant);
      const old = groupMacs(before);
      const now = groupMacs(after);

      // Every replaced conv's MACs in the original, and every new node's in the variant, by their group.
      const replacedNames = new Set(result.layers.map((l) => l.name));
      const removed = new Map<string, number>();
      for (const n of before.nodes) if (replacedNames.has(n.name)) removed.set(n.group, (removed.get(n.group) ?? 0) + n.macs);
      const recorded = readReplacedGroups(variant);
      const added = new Map<string, number>();
      for (const n of after.nodes) {
        const g = recorded.get(n.name)?.group;
        if (g) {
          expect(n.group).toBe(g);
          added.set(g, (added.get(g) ?? 0) + n.macs);
        }
      }
      expect(recorded.size).toBeGreaterThan(0);
      expect(variant.metadataProps.some((p) => p.key === REPLACED_CONVS_KEY)).toBe(true);
      const touched = new Set([...removed.keys(), ...added.keys()]);
      for (const g of touched) expect(c.levels.some((l) => g.startsWith(`head/${l}`))).toBe(true);

      expect([...now.keys()].sort()).toEqual([...old.keys()].sort());
      for (const [name, macs] of old) {
        const expected = macs - (removed.get(name) ?? 0) + (added.get(name) ?? 0);
        expect({ name, macs: now.get(name) }).toEqual({ name, macs: expected });
        if (!touched.has(name)) expect({ name, macs: now.get(name) }).toEqual({ name, macs });
      }
      // The variant is lighter, and only in the replaced levels.
      expect(after.totals.macs).toBeLessThan(before.totals.macs);
    });
  }
});
