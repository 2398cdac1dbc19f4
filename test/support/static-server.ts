import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface StaticServer {
  /** e.g. http://127.0.0.1:43210 */
  origin: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves a directory's files on a free loopback port: a second (or third) origin for browser tests. */
export async function startStaticServer(directory: string): Promise<StaticServer> {
  const root = normalize(directory + sep);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(pathname);
    // As static file servers do: a folder (a path without an extension) is its index.html.
    const relative = decodeURIComponent(pathname);
    const file = normalize(join(root, extname(relative) === '' ? join(relative, 'index.html') : relative));
    const type = CONTENT_TYPES[extname(file)];
    if (!file.startsWith(root) || !type) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (content) => res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(content),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
