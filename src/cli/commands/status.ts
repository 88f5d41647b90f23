import type { Command } from 'commander';

import type { JobView, QueueStatus } from '../../queue/status.js';

interface StatusValues {
  queue: string;
  grid?: string;
  json: boolean;
}

/** Registers `isbe status`. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the queued, running, done and failed trainings of the queue')
    .requiredOption('--queue <url>', 'Redis server of the queue, as redis://HOST:PORT[/DB]')
    .option('--grid <id>', 'only the jobs of this grid (the id `isbe reproduce --queue` printed)')
    .option('--json', 'print the status as JSON', false)
    .action(async (values: StatusValues) => {
      const { parseQueueUrl, redactUrl } = await import('../../queue/connection.js');
      const { withQueue } = await import('../../queue/client.js');
      const { queueStatus } = await import('../../queue/status.js');
      const url = parseQueueUrl(values.queue);
      const status = await withQueue(url, ({ queue }) => queueStatus(queue, values.grid));
      if (values.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      console.log(formatStatus(status, redactUrl(url)));
    });
}

function formatJob(job: JobView): string {
  const tries = `started ${job.attemptsStarted}×, ${job.failures} failed`;
  if (job.state === 'running' && job.progress !== null) {
    const p = job.progress;
    const resumed = p.resumedAfterEpoch > 0 ? `, resumed after epoch ${p.resumedAfterEpoch}` : '';
    return (
      `  ${job.id}  ${p.worker}  epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}, ` +
      `${Math.round(p.imagesPerSecond)} img/s, loss ${p.loss.toFixed(4)} (${tries}${resumed})`
    );
  }
  if (job.state === 'done' && job.result !== null) {
    const r = job.result;
    return (
      `  ${job.id}  ${r.worker}  test accuracy ${r.testAccuracy.toFixed(2)} %, ` +
      `τ ${r.tau.toFixed(2)} % (${tries})`
    );
  }
  if (job.state === 'failed') return `  ${job.id}  (${tries}): ${job.error ?? 'no error recorded'}`;
  return `  ${job.id}  ${job.worker ?? ''}`.trimEnd();
}

/** Formats the status as text: a line of counts, then the jobs of each state. */
export function formatStatus(status: QueueStatus, url: string): string {
  const { counts } = status;
  const lines = [
    `queue at ${url}: ${counts.queued} queued, ${counts.running} running, ` +
      `${counts.done} done, ${counts.failed} failed`,
  ];
  for (const state of ['running', 'failed', 'queued', 'done'] as const) {
    const jobs = status.jobs.filter((job) => job.state === state);
    if (jobs.length === 0) continue;
    lines.push(`${state}:`, ...jobs.map(formatJob));
  }
  return lines.join('\n');
}
