import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { defaultReportDir } from '../../src/commands/study.ts';
import { dataPath, PROJECT_ROOT } from '../../src/data-dir.ts';
import { InputError } from '../../src/errors.ts';
import { loadStudy, parseStudy } from '../../src/study/schema.ts';
import { checkStudyFiles } from '../../src/study/study-files.ts';

const nanodet = { id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' };

function problemOf(json: Record<string, unknown>, file = join(tmpdir(), 'study.json')): string {
  try {
    checkStudyFiles(parseStudy(json, file));
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

/** A COCO folder whose annotations list two images of coco206, only the first of which is in val2017/. */
function cocoWithMissingImage(): { dir: string; missing: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flopmap-coco-'));
  const gt = JSON.parse(readFileSync(dataPath('coco206', 'instances_val2017_206.json'), 'utf8')) as {
    images: { id: number; file_name: string }[];
    annotations: { image_id: number }[];
  };
  const images = [...gt.images].sort((a, b) => a.id - b.id).slice(0, 2);
  const ids = new Set(images.map((i) => i.id));
  writeFileSync(join(dir, 'instances_val2017_two.json'), JSON.stringify({ ...gt, images, annotations: gt.annotations.filter((a) => ids.has(a.image_id)) }));
  mkdirSync(join(dir, 'val2017'));
  copyFileSync(dataPath('coco206', 'val2017', images[0]!.file_name), join(dir, 'val2017', images[0]!.file_name));
  return { dir, missing: images[1]!.file_name };
}

describe('a study is checked when it is loaded', () => {
  it('accepts the committed studies', () => {
    for (const name of ['ci-gate', 'default', 'retinanet-r50-flops']) {
      expect(() => checkStudyFiles(loadStudy(join(PROJECT_ROOT, 'experiments', `${name}.json`)))).not.toThrow();
    }
  });

  it('refuses a missing model file, naming the field', () => {
    expect(problemOf({ name: 's', models: [nanodet, { id: 'm', path: 'no-such-model.onnx', family: 'yolox' }] })).toMatch(
      /study\.json: invalid study file: field models\.1\.path: no such model file .*no-such-model\.onnx/,
    );
  });

  it('refuses sizes a static-input model cannot run, naming the field', () => {
    expect(problemOf({ name: 's', models: [nanodet], inputScaling: { sizes: [320, 250] } })).toMatch(
      /field inputScaling\.sizes\.1: 250: not a multiple of 32: nanodet model "nanodet-m" cannot run it/,
    );
    expect(problemOf({ name: 's', models: [nanodet], inputScaling: { sizes: ['320x480'] } })).toMatch(
      /field inputScaling\.sizes\.0: 320x480: an explicit HxW is for profile-only studies/,
    );
    expect(problemOf({ name: 's', models: [{ ...nanodet, size: 300 }], data: { evaluate: false } })).toMatch(/field models\.0\.size: 300: not a multiple of 32/);
  });

  it('refuses a missing COCO folder, a missing listed image and a missing calibration folder', () => {
    expect(problemOf({ name: 's', models: [nanodet], data: { coco: '/no/such/coco' } })).toMatch(/field data\.coco: \/no\/such\/coco: COCO folder not found/);
    const { dir, missing } = cocoWithMissingImage();
    expect(problemOf({ name: 's', models: [nanodet], data: { coco: dir } })).toMatch(new RegExp(`field data\\.coco: .*${missing}: no such image`));
    expect(() => checkStudyFiles(parseStudy({ name: 's', models: [nanodet], data: { coco: dir, images: 1 } }, join(dir, 's.json')))).not.toThrow();
    expect(problemOf({ name: 's', models: [nanodet], layerSpecific: [{ block: 'conv1x1', levels: ['P3'], fit: '/no/calib' }] })).toMatch(
      /field layerSpecific\.0\.fit: \/no\/calib: calibration folder not found/,
    );
  });

  it('sweep exits 2 on such a study before running anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-study-'));
    const file = join(dir, 'bad-size.json');
    writeFileSync(file, JSON.stringify({ name: 'bad-size', models: [{ ...nanodet }], inputScaling: { sizes: [250] } }));
    expect(await main(['node', 'flopmap', 'sweep', file, '--out', join(dir, 'out')])).toBe(2);
  });

  it('the report folder follows the study file name, not its name field', () => {
    expect(defaultReportDir('experiments/copy-of-default.json')).toBe(join('reports', 'copy-of-default'));
  });

  it('eval checks every listed image before loading the model', async () => {
    const { dir } = cocoWithMissingImage();
    const code = await main(['node', 'flopmap', 'eval', '--model', '/no/such/model.onnx', '--family', 'nanodet', '--coco', dir]);
    expect(code).toBe(2); // the image is named, not the model: the images are checked first
  });
});
