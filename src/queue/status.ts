/** The state of the training queue: every job with its state, progress, tries and error. */
import type { Queue } from 'bullmq';

import type { TrainingJobData, TrainingJobProgress, TrainingJobReturn } from './jobs.js';

/** Job states as `isbe status` names them. */
export type JobStateName = 'queued' | 'running' | 'done' | 'failed';

const statesByName: Record<
  JobStateName,
  ('waiting' | 'prioritized' | 'delayed' | 'paused' | 'active' | 'completed' | 'failed')[]
> = {
  queued: ['waiting', 'prioritized', 'delayed', 'paused'],
  running: ['active'],
  done: ['completed'],
  failed: ['failed'],
};

/** One job as `isbe status` shows it. */
export interface JobView {
  id: string;
  grid: string;
  name: string;
  state: JobStateName;
  /** Tries that ended in an error. */
  failures: number;
  /** Times a worker took the job, counting those that died. */
  attemptsStarted: number;
  worker: string | null;
  progress: TrainingJobProgress | null;
  result: TrainingJobReturn | null;
  error: string | null;
}

/** Counts by state, and every job; optionally only those of one grid. */
export interface QueueStatus {
  counts: Record<JobStateName, number>;
  jobs: JobView[];
}

function progressOf(value: unknown): TrainingJobProgress | null {
  return typeof value === 'object' && value !== null && 'epoch' in value
    ? (value as TrainingJobProgress)
    : null;
}

/** Reads every job of the queue, or of the grid with id `grid`. */
export async function queueStatus(
  queue: Queue<TrainingJobData, TrainingJobReturn>,
  grid?: string,
): Promise<QueueStatus> {
  const counts: Record<JobStateName, number> = { queued: 0, running: 0, done: 0, failed: 0 };
  const jobs: JobView[] = [];
  for (const [state, types] of Object.entries(statesByName) as [
    JobStateName,
    typeof statesByName.queued,
  ][]) {
    const found = await queue.getJobs(types, 0, -1, true);
    for (const job of found) {
      if (job === undefined || job === null) continue;
      const data = job.data as TrainingJobData;
      if (grid !== undefined && data.grid !== grid) continue;
      counts[state] += 1;
      jobs.push({
        id: job.id as string,
        grid: data.grid,
        name: data.name,
        state,
        // BullMQ counts a completed try in attemptsMade too.
        failures: state === 'done' ? Math.max(job.attemptsMade - 1, 0) : job.attemptsMade,
        attemptsStarted: job.attemptsStarted,
        worker: job.processedBy ?? null,
        progress: progressOf(job.progress),
        result: state === 'done' ? (job.returnvalue as TrainingJobReturn) : null,
        error: job.failedReason ? job.failedReason : null,
      });
    }
  }
  return { counts, jobs };
}
