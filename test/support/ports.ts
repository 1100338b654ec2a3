import { createServer } from 'node:net';

/** A local TCP port nothing listens on, found by binding port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `fn` while something else listens on 127.0.0.1:`port`. */
export async function holding<T>(port: number, fn: () => Promise<T> | T): Promise<T> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  try {
    return await fn();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
