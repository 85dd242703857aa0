// Sweeps past one machine: bench and tune runs as jobs on a Redis queue (BullMQ), trained by `affinity worker` processes.
export { parseQueueUrl, redactCredentials, requireQueueName, QUEUE_PASSWORD_ENV, DEFAULT_QUEUE_NAME, QUEUE_KEY_PREFIX, type QueueAddress } from './url.js';
export { checkQueueServer, QueueConnectionError, CONNECT_TIMEOUT_MS } from './connection.js';
export { jobIdOf, jobDataOf, readJobData, readJobResult, RUN_JOB_NAME, RUN_JOB_FORMAT, type RunJobData } from './jobs.js';
export { queueExecutor, runJobOptions, KEEP_FINISHED_JOBS_SECONDS, type QueueExecutorOptions } from './coordinator.js';
export { startQueueWorker, QUEUE_LOCK_DEFAULTS, type QueueWorkerEvent, type QueueWorkerHandle, type QueueWorkerOptions } from './worker.js';
export { queueStatus, formatQueueStatus, QUEUE_STATES, type QueueStatus } from './status.js';
