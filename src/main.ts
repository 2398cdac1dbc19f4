import 'reflect-metadata';
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { createApp } from './app';
import { cliServices, runCli, type CliStore } from './cli';
import { ConfigError, configurationWarnings, loadConfig, type Config } from './config';
import { systemClock } from './shared/clock';
import { createLogger, logFormatFor } from './shared/logger';
import { SHUTDOWN_CLOSE_MARGIN_MILLIS, stopOnTerminationSignal } from './shared/termination';
import { openStore } from './storage/open-store';
import { superviseWorkers } from './workers';

/**
 * The only file that reads the environment and listens, and with workers.ts the only one
 * that handles signals. The process is one of two things, said by its first argument: none
 * runs the server (`npm start`, the image's CMD), `cli` the admin CLI
 * (`npm run cli -- grant-role <email> ADMIN`); anything else is refused, so that a stray
 * argument never starts a server.
 */
async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'cli') {
    process.exitCode = await runCli(args, { openStore: openStoreForCli });
    return;
  }
  if (mode !== undefined) {
    process.stderr.write(`sessionql: unknown argument ${JSON.stringify(mode)}: the server takes none; the admin CLI is \`cli\` (npm run cli -- --help)\n`);
    process.exitCode = 2;
    return;
  }
  const config = readConfig();
  const logger = createProcessLogger(config);
  // Once per deployment: in the primary when there are workers.
  if (cluster.isPrimary) for (const warning of configurationWarnings(config)) logger.warn(warning);
  if (config.runtime.workers > 1 && cluster.isPrimary) {
    // A secret made up here is handed to every worker: tokens must verify on all of them.
    const env: Record<string, string> = config.session.secretsGenerated ? { SESSION_SECRETS: config.session.secrets.join(',') } : {};
    superviseWorkers({ workers: config.runtime.workers, env, shutdownGraceMillis: config.runtime.shutdownGraceMillis, logger });
    return;
  }
  await serve(config, logger);
}

async function serve(config: Config, logger: Logger): Promise<void> {
  const { store, close: closeStore } = await openStore(config, systemClock, logger);
  const app = await createApp(config, { store, logger, processMetrics: true });
  await new Promise<void>((resolve, reject) => {
    app.httpServer.once('error', reject);
    app.httpServer.listen(config.http.port, config.http.host, resolve);
  });

  stopOnTerminationSignal({
    deadlineMillis: config.runtime.shutdownGraceMillis + SHUTDOWN_CLOSE_MARGIN_MILLIS,
    logger,
    stop: (signal) => {
      logger.info({ signal }, 'shutting down');
      // Stops accepting, lets in-flight requests finish (for up to the grace period), then closes the store.
      app
        .stop()
        .then(closeStore)
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
    },
  });
  // Only now: whoever waits for this line (a supervisor, a test, a developer's Ctrl-C) may
  // signal at once, and a signal before the handler above would kill the process unlogged.
  const address = app.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  logger.info({ url: `http://${config.http.host}:${port}/graphql`, store: store.kind }, 'sessionql listening');
}

function createProcessLogger(config: Config): Logger {
  return createLogger(config.logLevel, logFormatFor(config.environment, process.stdout.isTTY === true));
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sessionql: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The store for one admin command; a bad configuration rejects with the server's own one-line message. */
async function openStoreForCli(): Promise<CliStore> {
  const config = loadConfig(process.env);
  if (config.store.kind === 'memory') {
    throw new Error(
      'admin commands need a shared store: set REDIS_URL (or REDIS_CLUSTER_NODES / REDIS_SENTINELS); the in-process store lives in the server process (see ADMIN_EMAILS)',
    );
  }
  // On stderr: stdout carries the command's answer alone.
  const logger = createLogger(config.logLevel, logFormatFor(config.environment, process.stderr.isTTY === true), 2);
  const { store, close } = await openStore(config, systemClock, logger);
  return { ...cliServices(config, store, logger, systemClock), logger, close };
}

main().catch((error: unknown) => {
  process.stderr.write(`sessionql: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
