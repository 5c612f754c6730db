import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The data folder: $FLOPMAP_DATA if set, else the repository's own `data/` (models, COCO samples, fixtures;
 * see data/README.md). Study files write it as `${data}`.
 */
export function dataDir(): string {
  const fromEnv = process.env.FLOPMAP_DATA;
  return fromEnv ? resolve(fromEnv) : join(PROJECT_ROOT, 'data');
}

/** A path inside the data folder. */
export function dataPath(...parts: string[]): string {
  return join(dataDir(), ...parts);
}
