import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { dataPath } from '../../src/data-dir.ts';

/** `flopmap variant ... --json` on the dynamic RetinaNet graph, without --input: the JSON it prints. */
async function variantJson(extra: string[]): Promise<{ input?: { name: string; shape: number[]; defaultedFrom: string } }> {
  const out = join(mkdtempSync(join(tmpdir(), 'flopmap-variant-')), 'v.onnx');
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => chunks.push(s) > 0) as typeof process.stdout.write;
  try {
    const args = ['node', 'flopmap', 'variant', dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz'), '--block', 'conv1x1', '--levels', 'P3', '--init', 'random', '-o', out, '--json'];
    expect(await main([...args, ...extra])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(chunks.join('')) as { input?: { name: string; shape: number[]; defaultedFrom: string } };
}

describe('flopmap variant on a dynamic graph without --input', () => {
  it('profiles at the family default size (RetinaNet 800 -> 800x1216) and says so', async () => {
    const json = await variantJson(['--family', 'retinanet']);
    expect(json.input).toMatchObject({ name: 'images', shape: [1, 3, 800, 1216] });
    expect(json.input?.defaultedFrom).toMatch(/retinanet default size 800/);
  });

  it('profiles at 640x640 without --family, and --input still overrides', async () => {
    expect((await variantJson([])).input).toMatchObject({ shape: [1, 3, 640, 640] });
    expect((await variantJson(['--input', 'images=1x3x512x768'])).input).toBeUndefined();
  });
});
