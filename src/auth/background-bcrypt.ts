import { Worker } from 'node:worker_threads';
import type { BcryptFunctions } from './password-hasher';

/**
 * The body of each bcrypt thread. Plain CommonJS, evaluated (no file to find at run time,
 * compiled or not): it lowers its own thread's scheduling priority where the system allows
 * it (Linux: a thread id is a process id to setpriority), then runs bcrypt's synchronous
 * calls for the messages it gets.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');
const bcrypt = require(workerData.bcryptPath);
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), workerData.niceness);
} catch {
  // Not Linux, or not allowed: the thread runs at the process's priority.
}
parentPort.on('message', ({ operation, data, argument }) => {
  try {
    const result = operation === 'hash' ? bcrypt.hashSync(data, argument) : bcrypt.compareSync(data, argument);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message) });
  }
});
`;

/**
 * How much lower than request handling bcrypt threads are scheduled (Linux nice, 0 to 19).
 * The lowest: a thread at 19 weighs 15 against a request thread's 1024, so a busy core goes
 * to requests and bcrypt takes what they leave. At 10 (weight 110) a saturated 2-core
 * machine kept 69–75% of its signed-in throughput during 10 logins in flight in two of three
 * benchmark runs; at 19, 83% and 84% in two (npm run bench). Logins slow down only when
 * requests really fill every core.
 */
export const PASSWORD_THREAD_NICENESS = 19;

interface Call {
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

/**
 * bcrypt on threads of its own, each at a lower scheduling priority (`niceness`, as for
 * `nice`): the CPU a login storm needs is what request handling leaves over, so signed-in
 * requests keep their pace while logins queue. As many threads as hashes may run at once
 * (PasswordHasher's line keeps them at most that busy); they never keep the process alive,
 * and one that fails is replaced.
 */
export class BackgroundBcrypt implements BcryptFunctions {
  private readonly idle: Worker[] = [];
  /** What each busy thread is computing. */
  private readonly busy = new Map<Worker, Call>();
  private closed = false;

  constructor(private readonly options: { threads: number; niceness: number }) {
    for (let i = 0; i < options.threads; i++) this.idle.push(this.startThread());
  }

  hash(data: string, cost: number): Promise<string> {
    return this.run('hash', data, cost) as Promise<string>;
  }

  compare(data: string, encrypted: string): Promise<boolean> {
    return this.run('compare', data, encrypted) as Promise<boolean>;
  }

  /** Ends the threads (the app stopping); a computation still running is answered with an error. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    for (const call of this.busy.values()) call.reject(new Error('bcrypt: stopped'));
    this.busy.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private startThread(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath: require.resolve('bcrypt'), niceness: this.options.niceness } });
    worker.unref();
    worker.on('message', ({ result, error }: { result?: string | boolean; error?: string }) => {
      const call = this.busy.get(worker);
      this.busy.delete(worker);
      if (!this.closed) this.idle.push(worker);
      if (error !== undefined) call?.reject(new Error(`bcrypt: ${error}`));
      else call?.resolve(result!);
    });
    worker.on('error', (error) => {
      this.busy.get(worker)?.reject(error);
      this.busy.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      if (!this.closed) this.idle.push(this.startThread());
    });
    return worker;
  }

  private run(operation: 'hash' | 'compare', data: string, argument: string | number): Promise<string | boolean> {
    const worker = this.idle.pop();
    // PasswordHasher never runs more at once than there are threads.
    if (!worker) return Promise.reject(new Error(this.closed ? 'bcrypt: stopped' : 'bcrypt: every thread is busy'));
    return new Promise((resolve, reject) => {
      this.busy.set(worker, { resolve, reject });
      worker.postMessage({ operation, data, argument });
    });
  }
}
