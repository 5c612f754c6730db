// The sweep's on-disk cache (reports/NAME/cache/, git-ignored). Every entry is keyed by a hash of what
// produced it (model bytes + settings), and written atomically (temp file + rename), so a sweep killed at
// any moment leaves only whole entries behind and the next run resumes from them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** sha256 over the parts, each length-prefixed so that ("ab","c") and ("a","bc") differ. */
export function hashOf(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 32);
}

/** Writes via a temp file and a rename, so that readers never see half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export type CacheKind = 'units' | 'points' | 'models' | 'gt' | 'replicates';

export class StudyCache {
  constructor(readonly dir: string) {}

  path(kind: CacheKind, key: string, ext = 'json'): string {
    return join(this.dir, kind, `${key}.${ext}`);
  }

  has(kind: CacheKind, key: string, ext = 'json'): boolean {
    return existsSync(this.path(kind, key, ext));
  }

  /** The cached value, or undefined when absent or unreadable (a damaged entry is recomputed). */
  readJson<T>(kind: CacheKind, key: string): T | undefined {
    const file = this.path(kind, key);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  writeJson(kind: CacheKind, key: string, value: unknown): string {
    const file = this.path(kind, key);
    writeFileAtomic(file, JSON.stringify(value));
    return file;
  }
}
