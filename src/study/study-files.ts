// What a study file points at, checked when it is loaded rather than point by point during the sweep: the model
// files, the COCO folder and the images its annotations list, the calibration folders, and input sizes the
// models can run. Each problem is one InputError naming the study file and the field (exit 2 at the CLI).
import { existsSync, statSync } from 'node:fs';
import { loadGroundTruth } from '../coco-eval/index.ts';
import { fileError, InputError } from '../errors.ts';
import { assertImagesExist, listAnnotatedImages, resolveCocoDir } from '../detection/coco-dir.ts';
import { getFamily } from '../detection/families/index.ts';
import { resolveCalibrationDir } from '../variants/calibration.ts';
import { sizeLabel, type InputSize, type Study } from './schema.ts';

/** Re-raises an InputError about a path as one about the study's field. */
function asField<T>(study: Study, field: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof InputError) throw fileError(study.file, `invalid study file: field ${field}: ${err.message}`);
    throw err;
  }
}

/** Why a model of a static-input family cannot run at this size, or null (heads downsample by 32). */
function sizeProblem(size: InputSize, staticInput: boolean, evaluate: boolean): string | null {
  if (size.side === undefined && evaluate && size.height !== size.width) {
    return `${sizeLabel(size)}: an explicit HxW is for profile-only studies (data.evaluate false); give a number to run it`;
  }
  if (staticInput && (size.height % 32 !== 0 || size.width % 32 !== 0)) return `${sizeLabel(size)}: not a multiple of 32`;
  return null;
}

export function checkStudyFiles(study: Study): void {
  const problem = (field: string, text: string): InputError => fileError(study.file, `invalid study file: field ${field}: ${text}`);
  study.models.forEach((m, i) => {
    if (!existsSync(m.path)) throw problem(`models.${i}.path`, `no such model file ${m.path}`);
    if (statSync(m.path).isDirectory()) throw problem(`models.${i}.path`, `${m.path} is a folder, not an ONNX file`);
    const staticInput = getFamily(m.family).staticInput;
    if (m.size) {
      const p = sizeProblem(m.size, staticInput, study.data.evaluate);
      if (p) throw problem(`models.${i}.size`, `${p} (${m.family} model "${m.id}")`);
    }
    study.inputScaling.sizes.forEach((s, j) => {
      const p = sizeProblem(s, staticInput, study.data.evaluate);
      if (p) throw problem(`inputScaling.sizes.${j}`, `${p}: ${m.family} model "${m.id}" cannot run it`);
    });
  });
  if (study.data.evaluate) {
    const coco = asField(study, 'data.coco', () => resolveCocoDir(study.data.coco));
    const listed = asField(study, 'data.coco', () => listAnnotatedImages(loadGroundTruth(coco.annotationsPath)));
    const used = study.data.images === undefined ? listed : listed.slice(0, study.data.images);
    asField(study, 'data.coco', () => assertImagesExist(coco.imagesDir, used, coco.annotationsPath));
  }
  study.layerSpecific.forEach((v, i) => {
    if (v.fit !== false) {
      const dir = v.fit;
      asField(study, `layerSpecific.${i}.fit`, () => resolveCalibrationDir(dir));
    }
  });
}
