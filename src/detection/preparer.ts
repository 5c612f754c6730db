// Image preparation in a worker thread, with the same contract as prepareImage (see prepare-worker.ts for why).
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.ts';
import type { DecodedCacheStats } from './decoded-cache.ts';
import type { PixelFormat, PreparedInput, ResizeSpec } from './image.ts';

export interface PrepareRequest {
  id: number;
  path: string;
  spec: ResizeSpec;
  format: PixelFormat;
}

export interface PrepareReply {
  id: number;
  prepared?: PreparedInput;
  /** Worker time of this image: decoding (near 0 when the pixels were cached) and resizing + layout. */
  timing?: { decodeMs: number; resizeMs: number };
  cache?: DecodedCacheStats;
  error?: { message: string; inputError: boolean };
}

export interface PreparerOptions {
  /**
   * Bytes of decoded pixels the worker keeps for reuse (default 0: every image is decoded each time it is
   * asked for). A 640x480 COCO image is 0.9 MB decoded.
   */
  cacheBytes?: number;
}

/** What the worker did so far: its time decoding and resizing, and its decoded-image cache. */
export interface PreparerStats extends DecodedCacheStats {
  decodeSeconds: number;
  resizeSeconds: number;
}

export interface ImagePreparer {
  /** Resolves once the preparer can work (a worker has loaded its modules). */
  ready: Promise<void>;
  prepare(path: string, spec: ResizeSpec, format: PixelFormat): Promise<PreparedInput>;
  stats(): PreparerStats;
  close(): Promise<void>;
}

/** One worker thread that prepares images in the order asked. */
export function workerPreparer(options: PreparerOptions = {}): ImagePreparer {
  const worker = new Worker(new URL('./prepare-worker-entry.mjs', import.meta.url), { workerData: options });
  const totals: PreparerStats = { decoded: 0, reused: 0, bytes: 0, maxBytes: options.cacheBytes ?? 0, decodeSeconds: 0, resizeSeconds: 0 };
  // The worker must not keep the process alive once the run is over (close() is still the normal way out).
  worker.unref();
  const pending = new Map<number, { resolve: (p: PreparedInput) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  let markReady: () => void = () => undefined;
  let markFailed: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => undefined);
  const failAll = (err: Error) => {
    failure = err;
    markFailed(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (reply: PrepareReply | { ready: true }) => {
    if ('ready' in reply) {
      markReady();
      return;
    }
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.timing) {
      totals.decodeSeconds += reply.timing.decodeMs / 1000;
      totals.resizeSeconds += reply.timing.resizeMs / 1000;
    }
    if (reply.cache) Object.assign(totals, reply.cache);
    if (reply.prepared) waiter.resolve(reply.prepared);
    else if (reply.error?.inputError) waiter.reject(new InputError(reply.error.message));
    else waiter.reject(new Error(reply.error?.message ?? 'image worker: no reply'));
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => {
    if (pending.size > 0) failAll(new Error(`image worker exited (code ${code}) with ${pending.size} images pending`));
  });
  return {
    ready,
    prepare(path, spec, format) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<PreparedInput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const request: PrepareRequest = { id, path, spec, format };
        worker.postMessage(request);
      });
    },
    stats: () => ({ ...totals }),
    async close() {
      await worker.terminate();
    },
  };
}
