/**
 * Log lines of long-running queue processes, on stderr: an ISO time, the process's name
 * (host:pid), the level and the message. Repeats of one error are counted, not printed.
 */
import { hostname } from 'node:os';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Logs an error at most once per 30 s per message text, with the count of repeats. */
  repeatedError(message: string): void;
}

/** Name of this process in logs and in the jobs it takes: host:pid. */
export function processName(): string {
  return `${hostname()}:${process.pid}`;
}

const repeatWindowMs = 30_000;

/** Creates a logger that writes its lines to `write` (stderr by default). */
export function createLogger(
  source: string,
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const line = (level: string, message: string) =>
    write(`${new Date().toISOString()} ${source} ${level}: ${message}\n`);
  const repeats = new Map<string, { loggedAt: number; suppressed: number }>();
  return {
    info: (message) => line('info', message),
    warn: (message) => line('warn', message),
    error: (message) => line('error', message),
    repeatedError: (message) => {
      const now = Date.now();
      const entry = repeats.get(message);
      if (entry !== undefined && now - entry.loggedAt < repeatWindowMs) {
        entry.suppressed += 1;
        return;
      }
      const count = entry && entry.suppressed > 0 ? ` (repeated ${entry.suppressed} times)` : '';
      repeats.set(message, { loggedAt: now, suppressed: 0 });
      line('error', `${message}${count}`);
    },
  };
}
