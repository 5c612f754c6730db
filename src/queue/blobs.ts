// Model files and shard annotations travel through Redis by content hash: the coordinator stores each one
// once (SET NX), a worker fetches it once into its disk cache and checks the hash before using it. The
// hash is the one in the unit's cache key (study/cache.ts hashOf over the bytes), so a file reaches a unit
// only if it is the file the coordinator keyed the unit with.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import { hashOf } from '../study/cache.ts';
import { KEY_PREFIX } from './connection.ts';

/** Kept a day after the last sweep that stored it, like the finished jobs. */
const BLOB_TTL_S = 24 * 3600;

export function blobKey(hash: string): string {
  return `${KEY_PREFIX}:blob:${hash}`;
}

/** Stores `bytes` under their hash unless already there; refreshes the expiry either way. */
export class BlobStore {
  private readonly stored = new Map<string, Promise<void>>();

  constructor(private readonly redis: Redis) {}

  /** `read` is called only when Redis does not hold the blob yet; once per hash per sweep. */
  put(hash: string, read: () => Uint8Array): Promise<void> {
    let done = this.stored.get(hash);
    if (!done) {
      done = (async () => {
        const key = blobKey(hash);
        if ((await this.redis.expire(key, BLOB_TTL_S)) === 1) return;
        const bytes = read();
        const actual = hashOf(bytes);
        if (actual !== hash) throw new Error(`blob ${hash}: the file now hashes to ${actual} (changed during the sweep?)`);
        await this.redis.set(key, Buffer.from(bytes), 'EX', BLOB_TTL_S, 'NX');
      })();
      this.stored.set(hash, done);
      done.catch(() => this.stored.delete(hash));
    }
    return done;
  }
}

/**
 * The path of blob `hash` in the worker's disk cache (`dir/HASH.ext`), fetched from Redis the first time and
 * checked against its hash; a file already on disk was checked when it was written.
 */
export async function fetchBlob(redis: Redis, hash: string, dir: string, ext: string): Promise<string> {
  const path = join(dir, `${hash}.${ext}`);
  if (existsSync(path)) return path;
  const bytes = await redis.getBuffer(blobKey(hash));
  if (!bytes) throw new Error(`blob ${hash}.${ext} is not in Redis (expired, or the coordinator's Redis was flushed)`);
  const actual = hashOf(bytes);
  if (actual !== hash) throw new Error(`blob ${hash}.${ext}: fetched bytes hash to ${actual}`);
  // Temp file + rename, named per thread: a worker's processor threads may fetch the same blob at once.
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${threadId}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return path;
}
