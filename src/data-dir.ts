import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The shared data folder: $FLOPMAP_DATA if set, else ../shared/data beside the project.
 * The data is read in place, never copied into the project.
 */
export function dataDir(): string {
  const fromEnv = process.env.FLOPMAP_DATA;
  return fromEnv ? resolve(fromEnv) : resolve(PROJECT_ROOT, '..', 'shared', 'data');
}

/** A path inside the shared data folder. */
export function dataPath(...parts: string[]): string {
  return join(dataDir(), ...parts);
}

/** Whether the shared data folder is present (tests skip, saying why, when it is not). */
export function hasSharedData(): boolean {
  return existsSync(join(dataDir(), 'models'));
}
