import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, dataPath } from '../../src/data-dir.ts';

function flopmap(...args: string[]) {
  const run = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'profile', ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('flopmap profile (CLI, on the bundled models)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flopmap-profile-'));
  const nanodet = dataPath('models', 'nanodet_m_320.onnx');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a truncated ONNX file: exit 2, naming the file and the problem', () => {
    const file = join(dir, 'truncated.onnx');
    writeFileSync(file, readFileSync(nanodet).subarray(0, 200_000));
    const r = flopmap(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/truncated/);
  });

  it('a file that is not ONNX (a JPEG): exit 2, naming the file and the problem', () => {
    const images = dataPath('coco', 'val2017');
    const jpeg = join(images, readdirSync(images).find((f) => f.endsWith('.jpg'))!);
    const r = flopmap(jpeg);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(jpeg);
    expect(r.stderr).toMatch(/not an ONNX model/);
  });

  it('a dynamic input without --input: exit 2, naming the file, the input and what to pass', () => {
    const file = dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz');
    const r = flopmap(file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/input images .*--input images=1x3x/);
  });

  it('--json prints the DESIGN.md profile; --csv writes one row per node', () => {
    const csv = join(dir, 'nodes.csv');
    const r = flopmap(nanodet, '--json', '--csv', csv);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      model: string; totals: { macs: number; flops: number; params: number };
      groups: { name: string; share: number }[]; nodes: Record<string, unknown>[]; warnings: string[];
    };
    expect(json.model).toBe(nanodet);
    expect(json.totals.params).toBe(941_826);
    expect(json.groups.reduce((s, g) => s + g.share, 0)).toBeCloseTo(1, 9);
    expect(Object.keys(json.nodes[0]).sort()).toEqual(['flops', 'group', 'macs', 'name', 'op', 'outputShapes', 'params']);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('name,op,group,output_shapes,macs,flops,params,output_bytes');
    expect(lines).toHaveLength(json.nodes.length + 1);
  });

  it('--json of the whole RetinaNet graph comes through a pipe complete: 151.54 GMACs at 800x800 (torchvision\'s figure)', () => {
    const r = flopmap(dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz'), '--input', 'images=1x3x800x800', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { totals: { macs: number }; nodes: unknown[] };
    expect(json.nodes).toHaveLength(631);
    // torchvision documents retinanet_resnet50_fpn at "151.54 GFLOPS", which are MACs (see DESIGN.md).
    expect((json.totals.macs / 1e9).toFixed(2)).toBe('151.54');
  });

  it('the table names GMACs and GFLOPs side by side, with group shares', () => {
    const r = flopmap(nanodet, '--top', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/totals\s+0\.342 GMACs\s+\|\s+0\.698 GFLOPs\s+\|\s+0\.94 M params/);
    expect(r.stdout).toMatch(/\n {2}P3\s+0\.049\s+0\.\d+\s+14\.4%/);
  });

  it('a --groups file that is not a list of {pattern, group}: exit 2 naming it', () => {
    const bad = join(dir, 'groups.json');
    writeFileSync(bad, '{"pattern": "x"}');
    const r = flopmap(nanodet, '--groups', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
  });
});
