/**
 * The HTTP endpoint of --metrics-port: GET /metrics (Prometheus text) and GET /healthz (200 or
 * 503 with one line of JSON). It listens before anything is fetched, so a port that is taken is
 * one line naming it, exit 2, at start.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import type { CaptureMetrics } from './capture-metrics.js';

export interface MetricsEndpoint {
  /** `http://host:port`, with the port actually bound (for --metrics-port 0). */
  readonly url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host: string;
  /** How messages name the port and host options (a flag or its environment variable). */
  portName: string;
  hostName: string;
}

export async function startMetricsServer(
  metrics: CaptureMetrics,
  o: ListenOptions,
): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.metricsText().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
        (err: unknown) =>
          res
            .writeHead(500, { 'Content-Type': 'text/plain' })
            .end(`${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const h = metrics.health();
      res.writeHead(h.healthy ? 200 : 503, { 'Content-Type': 'application/json' }).end(`${h.body}\n`);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
  // A scrape must never keep the process alive at shutdown.
  server.keepAliveTimeout = 5_000;
  await listen(server, o);
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, o: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${o.host}:${o.port}`;
      if (err.code === 'EADDRINUSE')
        reject(
          new UsageError(
            `${o.portName}: port ${o.port} is already in use on ${o.host} (another l1-fetch?); pick another port`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new UsageError(
            `${o.portName}: not allowed to listen on ${where} (ports below 1024 need privileges)`,
          ),
        );
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
        reject(new UsageError(`${o.hostName}: '${o.host}' is not an address of this machine`));
      else reject(new UsageError(`${o.portName}: cannot listen on ${where} (${err.code ?? err.message})`));
    });
    server.listen(o.port, o.host, () => resolve());
  });
}
