// Where the queue lives: `--queue redis://[user:password@]HOST:PORT[/DB]`, checked before anything is built.
// Bad URL, unreachable server, or a Redis older than BullMQ needs (5.0, see BullMQ's skipVersionCheck
// option) is an InputError: one line, exit 2.
import { Redis } from 'ioredis';
import { InputError } from '../errors.ts';

export interface QueueUrl {
  /** As given, for messages. */
  url: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** Prefix of every key flopmap writes (BullMQ's own keys included), so a shared Redis stays tidy. */
export const KEY_PREFIX = 'flopmap';

/** One BullMQ queue per study name: two studies on one Redis never see each other's units. */
export function queueName(study: string): string {
  return `sweep-${study}`;
}

export function parseQueueUrl(text: string): QueueUrl {
  const bad = (problem: string) => new InputError(`--queue ${text}: ${problem}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL; expected redis://HOST:PORT');
  }
  if (url.protocol !== 'redis:') throw bad(`unsupported scheme "${url.protocol}"; expected redis://HOST:PORT`);
  if (!url.hostname) throw bad('no host; expected redis://HOST:PORT');
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw bad(`database "${dbText}" is not a number`);
  return {
    url: text,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

/** Options both ioredis and BullMQ take. */
export interface ConnectionSettings {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  maxRetriesPerRequest: null;
}

/** Connection options for ioredis and BullMQ (BullMQ's workers require maxRetriesPerRequest: null). */
export function redisOptions(q: QueueUrl): ConnectionSettings {
  return { host: q.host, port: q.port, db: q.db, username: q.username, password: q.password, maxRetriesPerRequest: null };
}

/** `redis_version:7.0.15` out of INFO server. */
export function redisVersion(info: string): string | undefined {
  return /^redis_version:([^\r\n]+)/m.exec(info)?.[1]?.trim();
}

/** BullMQ needs Redis 5.0 or newer (streams, ZPOPMIN). */
export function tooOld(version: string): boolean {
  const major = Number(version.split('.')[0]);
  return !Number.isFinite(major) || major < 5;
}

/**
 * Connects once with no retries and checks the server's version. Resolves with a client for flopmap's own
 * keys (blobs, the study registry); the caller closes it.
 */
export async function probeRedis(q: QueueUrl): Promise<Redis> {
  const client = new Redis({
    ...redisOptions(q),
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED, ENOTFOUND) arrives as an event; connect() only says "closed".
  let socketError: Error | undefined;
  client.on('error', (err: Error) => (socketError ??= err));
  try {
    await client.connect();
    const version = redisVersion(await client.info('server'));
    if (!version) throw new Error('the server did not report redis_version');
    if (tooOld(version)) throw new InputError(`--queue ${q.url}: Redis ${version} is too old for BullMQ (needs 5.0 or newer)`);
  } catch (err) {
    client.disconnect();
    if (err instanceof InputError) throw err;
    const message = socketError?.message ?? (err instanceof Error ? err.message : String(err));
    throw new InputError(`--queue ${q.url}: cannot reach Redis (${message.split('\n')[0]})`);
  }
  // From here on, ride out short outages like BullMQ's own connections do.
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  client.options.maxRetriesPerRequest = null;
  return client;
}
