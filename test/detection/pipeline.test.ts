import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath, PROJECT_ROOT } from '../../src/data-dir.ts';
import { loadModel } from '../../src/onnx/model-io.ts';
import { anchorLevels } from '../../src/detection/families/retinanet-anchors.ts';
import { resolveCocoDir, runDetection } from '../../src/detection/index.ts';
import { createDetectorSession } from '../../src/detection/session.ts';
import { COCO80_CATEGORY_IDS } from '../../src/detection/coco-classes.ts';

const coco = () => resolveCocoDir(dataPath('coco'));

describe('detection pipeline on the bundled COCO sample', () => {
  it('resolves --coco DIR to val2017/ and the single instances_val2017*.json', () => {
    expect(coco()).toEqual({ imagesDir: dataPath('coco', 'val2017'), annotationsPath: dataPath('coco', 'instances_val2017_mini.json') });
    expect(() => resolveCocoDir(dataPath('models'))).toThrow(/has no val2017\/ image folder/);
  });

  it('NanoDet-m 320 on 20 images: sane mAP, boxes inside the images, COCO category ids', async () => {
    const run = await runDetection({ modelPath: dataPath('models', 'nanodet_m_320.onnx'), family: 'nanodet', ...coco(), limit: 20, threads: 2 });
    expect(run.images).toBe(20);
    expect(run.size).toBe(320);
    // Published full-val2017 mAP is 20.6; 20 images are noisy, but a preprocessing or decoding bug
    // (channel order, centre offset, double sigmoid) drops it far below this floor.
    expect(run.stats.AP).toBeGreaterThan(0.15);
    expect(run.stats.AP50).toBeGreaterThan(0.3);
    expect(run.macs).toBeGreaterThan(0.3e9);
    expect(run.macs).toBeLessThan(0.4e9);
    const ids = new Set(COCO80_CATEGORY_IDS);
    for (const d of run.detections) {
      expect(ids.has(d.category_id)).toBe(true);
      expect(d.bbox[0]).toBeGreaterThanOrEqual(0);
      expect(d.bbox[1]).toBeGreaterThanOrEqual(0);
      expect(d.bbox[2]).toBeGreaterThanOrEqual(0);
      expect(d.score).toBeGreaterThan(0.05);
    }
    const perImage = new Map<number, number>();
    for (const d of run.detections) perImage.set(d.image_id, (perImage.get(d.image_id) ?? 0) + 1);
    expect(Math.max(...perImage.values())).toBeLessThanOrEqual(100);
  });

  it('YOLOX-Nano exported at 416 runs at 320 (graph rewritten), with fewer MACs', async () => {
    const run = await runDetection({ modelPath: dataPath('models', 'yolox_nano_416.onnx'), family: 'yolox', ...coco(), size: 320, limit: 8, threads: 2 });
    expect(run.macsInput).toEqual([1, 3, 320, 320]);
    expect(run.macs).toBeGreaterThan(0.25e9);
    expect(run.macs).toBeLessThan(0.35e9); // (320/416)^2 of 0.52 GMACs
    expect(run.stats.AP).toBeGreaterThan(0.1);
  });

  it('flopmap eval --json prints the DESIGN summary and --out writes a COCO results file', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'flopmap-eval-')), 'res.json');
    const cli = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'eval', '--model', dataPath('models', 'yolox_nano_416.onnx'),
      '--family', 'yolox', '--coco', dataPath('coco'), '--limit', '3', '--json', '--out', out], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    const summary = JSON.parse(cli.stdout) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['model', 'family', 'size', 'images', 'seconds', 'macs', 'stats']));
    expect(summary).toMatchObject({ model: 'yolox_nano_416.onnx', family: 'yolox', size: 416, images: 3 });
    const results = JSON.parse(readFileSync(out, 'utf8')) as { image_id: number; category_id: number; bbox: number[]; score: number }[];
    expect(results.length).toBeGreaterThan(0);
    expect(Object.keys(results[0]).sort()).toEqual(['bbox', 'category_id', 'image_id', 'score']);
    rmSync(dirname(out), { recursive: true, force: true });
  });

  it('the zero-weight RetinaNet graph: anchor count of the decoder equals the graph output at 512x768', async () => {
    const session = await createDetectorSession(loadModel(dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz')), 'retinanet', 2);
    const out = await session.run(new Float32Array(3 * 512 * 768), [1, 3, 512, 768]);
    await session.release();
    const anchors = anchorLevels(512, 768).reduce((n, l) => n + l.count, 0);
    expect(out.cls_logits.dims).toEqual([1, anchors, 91]);
    expect(out.bbox_regression.dims).toEqual([1, anchors, 4]);
  });

  it('the zero-weight RetinaNet graph runs end to end at size 512 and returns a valid summary', async () => {
    const run = await runDetection({ modelPath: dataPath('models', 'retinanet_r50_fpn_zero.onnx.gz'), family: 'retinanet', ...coco(), size: 512, limit: 1, threads: 2 });
    expect(run.images).toBe(1);
    expect(run.macsInput).toEqual([1, 3, 512, 768]);
    // 230.2 GMACs at 800x1216 (DESIGN) scales to ~93 GMACs at 512x768.
    expect(run.macs / 1e9).toBeCloseTo(93.0, 0);
    // Zero weights: every logit is 0 (score 0.5), every box an anchor; nothing matches the ground truth.
    expect(run.detections.length).toBeLessThanOrEqual(300);
    expect(run.stats.AP).toBe(0);
    expect(Object.keys(run.stats)).toHaveLength(12);
  });
});

describe('bad input to the pipeline', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flopmap-badinput-'));
    mkdirSync(join(dir, 'val2017'));
    copyFileSync(dataPath('coco', 'val2017', '000000000139.jpg'), join(dir, 'val2017', 'good.jpg'));
    writeFileSync(join(dir, 'val2017', 'corrupt.jpg'), Buffer.from('not a jpeg at all'));
    const gt = (images: { id: number; file_name: string }[]) => ({
      images: images.map((i) => ({ ...i, width: 640, height: 426 })),
      annotations: [{ id: 1, image_id: images[0].id, category_id: 1, bbox: [10, 10, 50, 50], area: 2500, iscrowd: 0 }],
      categories: [{ id: 1, name: 'person' }],
    });
    writeFileSync(join(dir, 'corrupt.json'), JSON.stringify(gt([{ id: 1, file_name: 'good.jpg' }, { id: 2, file_name: 'corrupt.jpg' }])));
    writeFileSync(join(dir, 'missing.json'), JSON.stringify(gt([{ id: 1, file_name: 'good.jpg' }, { id: 3, file_name: 'gone.jpg' }])));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (annotations: string, model = 'nanodet_m_320.onnx', family: 'nanodet' | 'yolox' = 'nanodet') =>
    runDetection({ modelPath: dataPath('models', model), family, imagesDir: join(dir, 'val2017'), annotationsPath: join(dir, annotations) });

  it('names a corrupt image', async () => {
    await expect(run('corrupt.json')).rejects.toThrow(/corrupt\.jpg: cannot decode image/);
  });

  it('names a missing image', async () => {
    await expect(run('missing.json')).rejects.toThrow(/gone\.jpg: image not found/);
  });

  it('names the model and the outputs that do not fit the family', async () => {
    await expect(run('missing.json', 'nanodet_m_320.onnx', 'yolox')).rejects.toThrow(
      /nanodet_m_320\.onnx: outputs do not fit family yolox at input 320x320: has no output named output/,
    );
  });

  it('the CLI exits 2 with one line naming the file', () => {
    const cli = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'flopmap.js'), 'eval', '--model', dataPath('models', 'nanodet_m_320.onnx'),
      '--family', 'nanodet', '--images', join(dir, 'val2017'), '--annotations', join(dir, 'corrupt.json')], { encoding: 'utf8' });
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/corrupt\.jpg: cannot decode image/);
  });
});
