/**
 * A `DataParallelGroup` over shared memory: replicas in worker threads of one process add up
 * their numbers through a SharedArrayBuffer, with an Atomics barrier per call.
 *
 * Layout: each replica has a slot of `capacity` float32 values in each of two halves; call c
 * writes into half c % 2. A replica can write call c + 2 only after the barrier of call c + 1,
 * which every replica reaches only after it has read the sums of call c, so one barrier per
 * call is enough. The sums are taken in replica order in every replica, so all of them get the
 * same bits and their weights stay identical.
 */
import { AffinityLossError } from 'affinity-loss/internal/errors.js';
import type { DataParallelGroup } from 'affinity-loss/internal/train/dataParallel.js';

/** The shared buffers of a group; structured-clonable, so they can be posted to a worker. */
export interface GroupMemory {
  /** Number of replicas. */
  replicas: number;
  /** Values per replica per call. */
  capacity: number;
  /** Int32 control words: arrived count, barrier generation, aborted flag. */
  control: SharedArrayBuffer;
  /** Float32 slots: 2 halves x replicas x capacity. */
  slots: SharedArrayBuffer;
}

/** Thrown in the other replicas when one replica gives up (its own error goes to the caller). */
export class ReplicaAbortedError extends AffinityLossError {
  constructor() {
    super('data-parallel training stopped: another replica failed');
  }
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
/** How often a waiting replica looks at the aborted flag. */
const WAIT_SLICE_MS = 50;

/** Allocates the shared buffers of a group of `replicas` exchanging up to `capacity` values per call. */
export function allocateGroupMemory(replicas: number, capacity: number): GroupMemory {
  return {
    replicas,
    capacity,
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    slots: new SharedArrayBuffer(2 * replicas * capacity * Float32Array.BYTES_PER_ELEMENT),
  };
}

/** One replica's view of a group's shared memory. */
export class SharedMemoryGroup implements DataParallelGroup {
  readonly replica: number;
  readonly replicas: number;
  private readonly capacity: number;
  private readonly control: Int32Array;
  private readonly slots: Float32Array;
  private calls = 0;

  constructor(memory: GroupMemory, replica: number) {
    this.replica = replica;
    this.replicas = memory.replicas;
    this.capacity = memory.capacity;
    this.control = new Int32Array(memory.control);
    this.slots = new Float32Array(memory.slots);
  }

  allReduceSum(length: number, fill: (share: Float32Array) => void): Float32Array {
    if (length > this.capacity) {
      throw new AffinityLossError(`allReduceSum: ${length} values exceed the group's capacity of ${this.capacity}`);
    }
    const half = (this.calls++ & 1) * this.replicas;
    const own = (half + this.replica) * this.capacity;
    fill(this.slots.subarray(own, own + length));
    this.barrier();
    const first = half * this.capacity;
    const sum = this.slots.slice(first, first + length);
    for (let r = 1; r < this.replicas; r++) {
      const start = (half + r) * this.capacity;
      for (let i = 0; i < length; i++) sum[i] += this.slots[start + i];
    }
    return sum;
  }

  /** Wakes every waiting replica with a ReplicaAbortedError; later calls throw it too. */
  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.notify(this.control, GENERATION);
  }

  /** Waits until every replica has arrived (a generation-counting barrier). */
  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.load(this.control, ABORTED) !== 0) throw new ReplicaAbortedError();
    if (Atomics.add(this.control, ARRIVED, 1) === this.replicas - 1) {
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    // Node lets every thread, the main one included, block in Atomics.wait. The wait is sliced
    // so that an aborted group is noticed even if no one notifies.
    while (Atomics.load(this.control, GENERATION) === generation) {
      if (Atomics.load(this.control, ABORTED) !== 0) throw new ReplicaAbortedError();
      Atomics.wait(this.control, GENERATION, generation, WAIT_SLICE_MS);
    }
  }
}
