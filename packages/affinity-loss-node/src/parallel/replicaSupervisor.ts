/**
 * Thread that starts the worker threads of a data-parallel run and watches them. The main
 * thread cannot: it is a replica too, and while it waits for the others inside a step
 * (Atomics.wait) its event loop is blocked, so it would never hear that a worker died
 * (`process.exit`, out of memory) and would wait forever. This thread only waits on events:
 * when a worker ends without reporting, it aborts the group, which wakes every waiting replica,
 * and reports the worker's exit code.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { workerBootstrap } from './bootstrap.js';
import type { ReplicaWorkerData, ReplicaWorkerMessage } from './replicaWorker.js';
import { SharedMemoryGroup } from './sharedMemoryGroup.js';
import { siblingModule } from '../io/siblingModule.js';

/** What the main thread hands the supervisor: one entry per worker replica (1, 2, ...). */
export interface ReplicaSupervisorData {
  replicas: ReplicaWorkerData[];
}

/** What the supervisor posts: a worker's message, with the replica it came from. */
export interface ReplicaSupervisorMessage {
  replica: number;
  message: ReplicaWorkerMessage;
}

const REPLICA_FILE = siblingModule('./replicaWorker', import.meta.url);

function supervise(data: ReplicaSupervisorData, post: (message: ReplicaSupervisorMessage) => void): void {
  for (const replicaData of data.replicas) {
    const { replica } = replicaData;
    const worker = new Worker(workerBootstrap(REPLICA_FILE), { eval: true, workerData: replicaData });
    let last: ReplicaWorkerMessage | undefined;
    worker.on('message', (message: ReplicaWorkerMessage) => {
      if (message.type === 'ready') post({ replica, message });
      else last = message;
    });
    worker.on('error', (error) => (last = { type: 'failed', name: error.name, message: error.message, stack: error.stack }));
    worker.on('exit', (exitCode) => {
      if (last === undefined) {
        last = { type: 'failed', name: 'Error', message: `the worker thread exited with code ${exitCode} before it finished`, exitCode };
      } else if (last.type === 'failed') {
        last = { ...last, exitCode };
      }
      // A replica that ended without finishing leaves the others waiting for it: wake them.
      if (last.type === 'failed') new SharedMemoryGroup(replicaData.memory, replica).abort();
      post({ replica, message: last });
    });
  }
}

if (parentPort !== null) {
  const port = parentPort;
  supervise(workerData as ReplicaSupervisorData, (message) => port.postMessage(message));
}
