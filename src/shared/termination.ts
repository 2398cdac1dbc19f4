import type { Logger } from 'pino';

/**
 * Beyond SHUTDOWN_GRACE_PERIOD (when in-flight requests are cut off): time to close the
 * store. A shutdown still going on after both exits with 1.
 */
export const SHUTDOWN_CLOSE_MARGIN_MILLIS = 5000;

/**
 * Runs `stop` once, on the first SIGTERM or SIGINT (later ones while stopping change
 * nothing), and exits with 1 if the process is still running `deadlineMillis` after that:
 * a stop that hangs must not keep a container from being replaced. Only main.ts and
 * workers.ts call it: they alone own the process.
 */
export function stopOnTerminationSignal(options: {
  stop: (signal: NodeJS.Signals) => void;
  deadlineMillis: number;
  logger: Logger;
  /** Last words before the deadline's exit (the primary kills the workers left). */
  onDeadline?: () => void;
}): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      options.logger.warn({ deadlineMillis: options.deadlineMillis }, 'stop did not finish in time; exiting');
      options.onDeadline?.();
      process.exit(1);
    }, options.deadlineMillis).unref();
    options.stop(signal);
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
