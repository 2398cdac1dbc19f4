import { createServer } from 'node:http';
import type { Express } from 'express';

/** Listens where the benchmark said (HOST, PORT), as a child process it can stop with SIGTERM. */
export async function listenFromEnvironment(app: Express): Promise<void> {
  const host = process.env.HOST ?? '127.0.0.1';
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
  // Exiting (rather than dying of the signal) lets `node --cpu-prof` write its profile.
  process.once('SIGTERM', () => process.exit(0));
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  console.log(`listening on http://${host}:${port}/graphql`);
}

/** Runs a server's main, exiting with 1 (and the error in the log) when it fails to start. */
export function runServer(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
