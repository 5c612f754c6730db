// Image preparation in a worker thread, with the same contract as prepareImage (see prepare-worker.ts for why).
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.ts';
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
  error?: { message: string; inputError: boolean };
}

export interface ImagePreparer {
  /** Resolves once the preparer can work (a worker has loaded its modules). */
  ready: Promise<void>;
  prepare(path: string, spec: ResizeSpec, format: PixelFormat): Promise<PreparedInput>;
  close(): Promise<void>;
}

/** One worker thread that prepares images in the order asked. */
export function workerPreparer(): ImagePreparer {
  const worker = new Worker(new URL('./prepare-worker-entry.mjs', import.meta.url));
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
    async close() {
      await worker.terminate();
    },
  };
}
