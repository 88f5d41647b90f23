/** A short-lived connection to the training queue for the commands that are not workers. */
import { Queue } from 'bullmq';

import { openClientConnection } from './connection.js';
import { type TrainingJobData, type TrainingJobReturn, trainingQueueName } from './jobs.js';
import { ResultStore } from './results.js';

/** The queue and the result store over one connection. */
export interface QueueClient {
  queue: Queue<TrainingJobData, TrainingJobReturn>;
  store: ResultStore;
}

/** Connects to the queue at `url`, runs `work`, and closes the connection whatever happens. */
export async function withQueue<T>(
  url: URL,
  work: (client: QueueClient) => Promise<T>,
): Promise<T> {
  const connection = await openClientConnection(url);
  const queue = new Queue<TrainingJobData, TrainingJobReturn>(trainingQueueName, { connection });
  // A connection error also rejects the command in progress, which reports it.
  queue.on('error', () => undefined);
  try {
    return await work({ queue, store: new ResultStore(connection) });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
