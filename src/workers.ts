import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { SHUTDOWN_CLOSE_MARGIN_MILLIS, stopOnTerminationSignal } from './shared/termination';

export interface WorkerSupervisorOptions {
  /** How many worker processes to keep running (WEB_CONCURRENCY). */
  workers: number;
  /** Added to every worker's environment (e.g. a secret the primary made once for all). */
  env: Record<string, string>;
  /** The workers' own grace period: the primary gives up on them some time after it. */
  shutdownGraceMillis: number;
  logger: Logger;
}

/** A worker that dies sooner than this after its start counts towards the restart backoff. */
const QUICK_EXIT_MILLIS = 5000;
const MAX_RESTART_DELAY_MILLIS = 10_000;

/**
 * The primary process of WEB_CONCURRENCY > 1. It serves nothing and holds no sessions: it
 * forks the workers (each one the whole server; node:cluster hands the listening socket's
 * connections to them in turn), starts a new one whenever one dies (after a growing pause
 * when they keep dying at start, so that a bad deployment does not spin), and on SIGTERM
 * or SIGINT passes the signal on, then exits once every worker has stopped: 0 when all of
 * them stopped cleanly, 1 otherwise.
 */
export function superviseWorkers(options: WorkerSupervisorOptions): void {
  const { logger } = options;
  const startedAt = new Map<Worker, number>();
  let stopping = false;
  let cleanStop = true;
  let quickExitsInARow = 0;

  const startWorker = () => {
    if (stopping) return;
    const worker = cluster.fork(options.env);
    startedAt.set(worker, Date.now());
    logger.info({ workerPid: worker.process.pid }, 'worker started');
  };

  cluster.on('exit', (worker, code, signal) => {
    const livedMillis = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (code !== 0) cleanStop = false;
      logger.info({ workerPid: worker.process.pid, code, signal }, 'worker stopped');
      if (startedAt.size === 0) {
        logger.info({ clean: cleanStop }, 'all workers stopped');
        process.exit(cleanStop ? 0 : 1);
      }
      return;
    }
    quickExitsInARow = livedMillis < QUICK_EXIT_MILLIS ? quickExitsInARow + 1 : 0;
    const delayMillis = Math.min(quickExitsInARow * 1000, MAX_RESTART_DELAY_MILLIS);
    logger.warn({ workerPid: worker.process.pid, code, signal, restartInMillis: delayMillis }, 'worker died; starting another');
    setTimeout(startWorker, delayMillis);
  });

  stopOnTerminationSignal({
    // After each worker's own deadline (grace period + close margin), so that a worker is killed only once it gave up itself.
    deadlineMillis: options.shutdownGraceMillis + 2 * SHUTDOWN_CLOSE_MARGIN_MILLIS,
    logger,
    stop: (signal) => {
      stopping = true;
      logger.info({ signal, workers: startedAt.size }, 'stopping workers');
      if (startedAt.size === 0) process.exit(0);
      // The signal itself, not worker.kill(): each worker then drains its own requests.
      for (const worker of startedAt.keys()) worker.process.kill(signal);
    },
    onDeadline: () => {
      for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
    },
  });

  logger.info({ workers: options.workers }, 'sessionql primary starting workers');
  for (let i = 0; i < options.workers; i++) startWorker();
}
