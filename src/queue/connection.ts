/**
 * Connections to the Redis server behind the training queue. Every connection goes to the
 * URL the user gives with --queue: nothing here has a default host or port.
 */
import { Redis, type RedisOptions } from 'ioredis';

import type { Logger } from './log.js';

/** A --queue value that is not a usable Redis URL; the message shows the expected form. */
export class QueueUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueUrlError';
  }
}

/** The Redis server is unreachable; the message names the URL (without its password). */
export class QueueConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueConnectionError';
  }
}

const example = 'redis://HOST:PORT (or rediss://, optionally with a database number: /1)';

/** Parses and checks a --queue value: redis:// or rediss://, a host, and at most a database number. */
export function parseQueueUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new QueueUrlError(`--queue expects a URL such as ${example}, got '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new QueueUrlError(`--queue expects a redis:// or rediss:// URL, got '${redactUrl(url)}'`);
  }
  if (url.hostname === '') {
    throw new QueueUrlError(`--queue URL '${redactUrl(url)}' has no host; write it as ${example}`);
  }
  if (!/^\/?(\d+)?$/.test(url.pathname)) {
    throw new QueueUrlError(
      `--queue URL '${redactUrl(url)}' has the path '${url.pathname}'; only a database number ` +
        'such as /1 may follow the port',
    );
  }
  return url;
}

/**
 * Selects the URL's database and rejects with a QueueConnectionError when the server has
 * no such database. Without this check, ioredis reports the failed SELECT only as an error
 * event and the commands that follow go to database 0.
 */
export async function checkDatabase(redis: Redis, url: URL): Promise<void> {
  const database = Number(url.pathname.replace('/', '') || '0');
  if (database === 0) return;
  try {
    await redis.select(database);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new QueueConnectionError(
      `the queue server at ${redactUrl(url)} rejected database ${database} (${reason}); ` +
        "use a number below the server's `databases` setting, which is 16 by default",
    );
  }
}

/** Formats the URL with its password replaced by ***, for logs and messages. */
export function redactUrl(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/**
 * Opens a connection for a long-running worker: commands wait while the server is away
 * (maxRetriesPerRequest null, which BullMQ workers require) and ioredis reconnects forever,
 * at most 2 s apart. The logger receives one line per lost and regained connection.
 */
export function openWorkerConnection(url: URL, log: Logger): Redis {
  const redis = new Redis(url.href, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let connectedBefore = false;
  let lost = false;
  redis.on('ready', () => {
    if (lost) log.info(`reconnected to the queue at ${redactUrl(url)}`);
    else if (!connectedBefore) log.info(`connected to the queue at ${redactUrl(url)}`);
    connectedBefore = true;
    lost = false;
  });
  redis.on('close', () => {
    if (!connectedBefore || lost || closing.has(redis)) return;
    lost = true;
    log.warn(`lost the connection to the queue at ${redactUrl(url)}; reconnecting`);
  });
  redis.on('error', (error: Error) => {
    log.repeatedError(`queue connection error: ${error.message}`);
  });
  return redis;
}

const closing = new WeakSet<Redis>();

/** Closes a worker's connection without logging it as lost. */
export function closeWorkerConnection(redis: Redis): void {
  closing.add(redis);
  redis.disconnect();
}

/** Time a command-line client waits for the server before it gives up. */
const clientConnectTimeoutMs = 10_000;

/**
 * Opens a connection for a short command (enqueue, status, collect) and waits until the
 * server replies. Rejects with a QueueConnectionError after 10 s or three refused attempts.
 */
export async function openClientConnection(url: URL): Promise<Redis> {
  const options: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    retryStrategy: (times) => (times > 3 ? null : times * 200),
  };
  const redis = new Redis(url.href, options);
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  const failure = (reason: string) =>
    new QueueConnectionError(
      `cannot connect to the queue at ${redactUrl(url)}: ${reason}; ` +
        'start Redis there or correct --queue',
    );
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(failure('timed out after 10 s')),
        clientConnectTimeoutMs,
      );
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.once('end', () => {
        clearTimeout(timer);
        reject(failure((lastError as Error | null)?.message ?? 'connection closed'));
      });
      redis.connect().catch(() => undefined);
    });
    await checkDatabase(redis, url);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}
