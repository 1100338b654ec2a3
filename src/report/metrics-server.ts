/**
 * `--metrics-addr`: serves GET /metrics (prometheus-metrics.ts) on HTTP for the life of a command.
 * It binds before the command attaches anything, so an address that cannot be bound fails the
 * command with nothing left behind; it never keeps the process alive by itself (its socket and
 * connections are unref'd), so a command that fails needs no clean-up.
 *
 * Each scrape reads the command's counters once, at the scrape, through the source the command
 * set. When the command is done it sets the final values and, if anything scraped it, keeps
 * serving until one more scrape has read them: otherwise the last seconds of a run would never
 * reach Prometheus. That wait is at most one and a half times the interval between the last two
 * scrapes (a scrape a little late still counts); Ctrl-C ends it. Nothing waits before two scrapes
 * came: one scrape (a user's curl) gives no interval to wait for.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { formatListenAddress, type ListenAddress } from '../config/listen-address.js';
import { describeError, XdperfError } from '../errors.js';
import type { MetricsSnapshot } from './prometheus-metrics.js';

export type MetricsSource = () => MetricsSnapshot;

/** Why an address cannot be bound, by errno. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is in use',
  EADDRNOTAVAIL: 'no local interface has that address',
  EACCES: 'permission denied',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
};

export class MetricsServer {
  private source: MetricsSource = () => ({});
  private final: MetricsSnapshot | undefined;
  private finalRead = false;
  /** When the last two scrapes were served (performance.now()), latest last. */
  private scrapes: number[] = [];
  /** Ends finish()'s wait. */
  private finalScraped: (() => void) | undefined;

  private constructor(
    private readonly server: Server,
    private readonly address: string,
  ) {
    server.on('request', (request, response) => void this.serve(request, response));
    server.on('connection', (socket) => socket.unref());
    server.unref();
  }

  /** Binds `address`; an address that cannot be bound is an error naming the option. */
  static async listen(address: ListenAddress): Promise<MetricsServer> {
    const server = createServer();
    const text = formatListenAddress(address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const why = LISTEN_ERRORS[error.code ?? ''] ?? describeError(error);
        reject(new XdperfError(`--metrics-addr ${text}: cannot serve there: ${why}`));
      });
      server.listen({ host: address.host, port: address.port }, resolve);
    });
    return new MetricsServer(server, text);
  }

  /** What each scrape reads from now on. */
  observe(source: MetricsSource): void {
    this.source = source;
  }

  /** From now on every scrape shows `final`, the command's last counts. */
  settle(final: MetricsSnapshot): void {
    this.final = final;
    this.finalRead = false;
    this.source = () => final;
  }

  /**
   * Serves the settled counts until a scrape has read them (or the wait above is over, or a
   * SIGINT or SIGTERM ends it), saying so on stderr when it waits; then closes.
   */
  async finish(): Promise<void> {
    const [previous, last] = this.scrapes;
    const waitMs = previous === undefined || last === undefined || this.finalRead ? 0 : last + (last - previous) * 1.5 - performance.now();
    if (waitMs > 0) {
      process.stderr.write(`xdperf: metrics: serving the final counts at ${this.address} until the next scrape reads them (at most ${Math.ceil(waitMs / 1000)} s; Ctrl-C ends the wait)\n`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          this.finalScraped = undefined;
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
        this.finalScraped = done;
      });
    }
    this.close();
  }

  /** Stops serving (idempotent). */
  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return reply(response, 404, `not found: xdperf serves /metrics only\n`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return reply(response, 405, 'method not allowed: GET /metrics\n');
    }
    let snapshot: MetricsSnapshot;
    let text: string;
    let contentType: string;
    try {
      // prom-client takes 0.16 s to load, which a run without --metrics-addr should not pay.
      const { METRICS_CONTENT_TYPE, metricsText } = await import('./prometheus-metrics.js');
      contentType = METRICS_CONTENT_TYPE;
      snapshot = this.source();
      text = await metricsText(snapshot);
    } catch (error) {
      return reply(response, 500, `xdperf: reading the counters failed: ${describeError(error)}\n`);
    }
    this.scrapes = [...this.scrapes, performance.now()].slice(-2);
    response.writeHead(200, { 'Content-Type': contentType });
    // Closing is safe once the final counts are handed to the kernel, not before.
    response.end(text, () => {
      // A HEAD request carries no counts.
      if (snapshot !== this.final || request.method === 'HEAD') return;
      this.finalRead = true;
      this.finalScraped?.();
    });
  }
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}
