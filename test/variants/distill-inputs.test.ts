// What distillation reads: the 305 images of coco/calib + coco/unlabeled (never the evaluation images), and
// clear one-line errors for a folder without images or a family without a distillation loss.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { dataPath } from '../../src/data-dir.ts';
import { InputError } from '../../src/errors.ts';
import { familyLoss } from '../../src/variants/distill/losses.ts';
import { listTrainingImages } from '../../src/variants/calibration.ts';

describe('distill: inputs', () => {
  it('reads coco/calib and coco/unlabeled: 305 images, none of them a coco206 evaluation image', async () => {
    const files = listTrainingImages(dataPath('coco'));
    expect(files.length).toBe(305);
    expect(files.filter((f) => f.includes('/calib/')).length).toBe(96);
    const { readdirSync } = await import('node:fs');
    const evaluation = new Set(readdirSync(dataPath('coco206', 'val2017')));
    expect(files.filter((f) => evaluation.has(f.split('/').pop()!))).toEqual([]);
  });

  it('exits with one line naming the folder or the family', () => {
    const empty = mkdtempSync(join(tmpdir(), 'distill-'));
    expect(() => listTrainingImages(empty)).toThrow(InputError);
    expect(() => listTrainingImages(empty)).toThrow(empty);
    expect(() => listTrainingImages(join(empty, 'missing'))).toThrow(/not found/);
    expect(() => familyLoss('retinanet', [{ name: 'x', dims: [1, 80, 4, 4] }])).toThrow(/retinanet/);
    expect(() => familyLoss('nanodet', [{ name: 'x', dims: [1, 81, 4, 4] }])).toThrow(/81 channels/);
  });
});

describe('flopmap variant --distill on bad input', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'distill-cli-')), 'v.onnx');
  async function stderrOf(args: string[]): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const code = await main(['node', 'flopmap', 'variant', dataPath('models', 'nanodet_m_320.onnx'), '--block', 'lowrank', '--levels', 'P3', '-o', out, ...args]);
      return { code, text: lines.join('') };
    } finally {
      process.stderr.write = write;
    }
  }
  it('exits 2 with one line: --distill without --family, --epochs without --distill, a folder without images', async () => {
    const noFamily = await stderrOf(['--distill']);
    expect(noFamily.code).toBe(2);
    expect(noFamily.text).toMatch(/--distill needs --family/);
    const noDistill = await stderrOf(['--epochs', '3']);
    expect(noDistill.code).toBe(2);
    expect(noDistill.text).toMatch(/--epochs, --seed and --distill-images go with --distill/);
    const empty = mkdtempSync(join(tmpdir(), 'distill-empty-'));
    const noImages = await stderrOf(['--family', 'nanodet', '--distill', empty]);
    expect(noImages.code).toBe(2);
    expect(noImages.text.trim().split('\n')).toHaveLength(1);
    expect(noImages.text).toContain(empty);
  });
});
