// A sweep announces itself in Redis: which queue holds its units, the hash of each stage source file and of
// its COCO annotations. A worker serves a study only when its own code and annotations hash the same, since
// the units' cache keys (and so the results) assume the coordinator's; otherwise it refuses, naming the file.
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { PROJECT_ROOT } from '../data-dir.ts';
import { fileError, InputError } from '../errors.ts';
import { resolveCocoDir } from '../detection/index.ts';
import { hashOf } from '../study/cache.ts';
import { stageSourceFiles } from '../study/real-stages.ts';
import { KEY_PREFIX } from './connection.ts';

/** Redis hash: study name -> its manifest (JSON). */
export const REGISTRY_KEY = `${KEY_PREFIX}:studies`;

export interface StudyManifest {
  study: string;
  queue: string;
  /** Hash of each stage source file, by its path in the repository (`src/detection/detect.ts`). */
  code: Record<string, string>;
  /** The coordinator's COCO folder (a worker's default) and the hash of its annotations file. */
  coco: { dir: string; annotations: string; hash: string };
}

/** This checkout's stage sources, each hashed. */
export function stageCodeHashes(): Record<string, string> {
  return Object.fromEntries(stageSourceFiles().map((f) => [relative(PROJECT_ROOT, f), hashOf(readFileSync(f))]));
}

export function fileHash(path: string): string {
  return hashOf(readFileSync(path));
}

export function buildManifest(study: string, queue: string, cocoDir: string, annotationsPath: string): StudyManifest {
  return { study, queue, code: stageCodeHashes(), coco: { dir: cocoDir, annotations: basename(annotationsPath), hash: fileHash(annotationsPath) } };
}

/** The first stage source file whose hash differs between here and the coordinator, or undefined. */
export function codeMismatch(mine: Record<string, string>, theirs: Record<string, string>): string | undefined {
  const files = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])].sort();
  return files.find((f) => mine[f] !== theirs[f]);
}

/**
 * Checks this worker against a study's manifest; resolves the worker's COCO folder (`cocoDir`, else the
 * coordinator's path). Returns the worker's images folder; throws an InputError naming the differing file.
 */
export function checkManifest(m: StudyManifest, code: Record<string, string>, cocoDir: string | undefined): { imagesDir: string } {
  const file = codeMismatch(code, m.code);
  if (file !== undefined) {
    const state = !(file in code) ? 'missing here' : !(file in m.code) ? 'not in the coordinator\'s code' : 'differs from the coordinator\'s';
    throw new InputError(`${file}: stage code ${state} (study "${m.study}"); run the same flopmap version as the coordinator`);
  }
  const dir = cocoDir ?? m.coco.dir;
  const coco = resolveCocoDir(dir);
  if (!existsSync(coco.annotationsPath)) throw fileError(coco.annotationsPath, 'COCO annotations not found');
  const hash = fileHash(coco.annotationsPath);
  if (hash !== m.coco.hash) {
    throw fileError(
      coco.annotationsPath,
      `COCO annotations differ from the coordinator's ${m.coco.annotations} (hash ${hash.slice(0, 12)} here, ${m.coco.hash.slice(0, 12)} there; study "${m.study}")`,
    );
  }
  return { imagesDir: coco.imagesDir };
}
