/**
 * `--metrics-port` and `--metrics-host`: Prometheus metrics and a health check over HTTP, off
 * unless asked for, on 127.0.0.1 unless told otherwise (a container sets 0.0.0.0).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CaptureMetrics } from '../metrics/capture-metrics.js';
import type { MetricsEndpoint } from '../metrics/metrics-server.js';
import { optionOrigin } from './env-options.js';

const GROUP = 'Metrics and health:';
export const DEFAULT_METRICS_HOST = '127.0.0.1';

function port(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || n > 65_535)
      throw new UsageError(`${flag}: '${value}' is not a port number (1-65535, or 0 for any free port)`);
    return n;
  };
}

export function addMetricsOptions(program: Command): Command {
  program
    .option(
      '--metrics-port <n>',
      'serve Prometheus metrics on /metrics and a health check on /healthz at this port (off by default; 0 = any free port)',
      port('--metrics-port'),
    )
    .option(
      '--metrics-host <host>',
      `address the metrics port listens on (default ${DEFAULT_METRICS_HOST}; 0.0.0.0 in a container)`,
    );
  for (const option of program.options) {
    if (option.long === '--metrics-port' || option.long === '--metrics-host') option.helpGroup(GROUP);
  }
  return program;
}

export interface RunningMetrics {
  metrics: CaptureMetrics;
  endpoint: MetricsEndpoint;
}

/** Starts the endpoint when --metrics-port (or L1_METRICS_PORT) was given; else undefined. */
export async function startMetricsIfAsked(
  program: Command,
  staleAfterMs: number,
): Promise<RunningMetrics | undefined> {
  const flags = program.opts<{ metricsPort?: number; metricsHost?: string }>();
  if (flags.metricsPort === undefined) {
    if (flags.metricsHost !== undefined)
      throw new UsageError(
        `${optionOrigin(program, 'metricsHost')}: needs --metrics-port (or L1_METRICS_PORT)`,
      );
    return undefined;
  }
  // Loaded only when asked for: prom-client costs a cold start nothing otherwise.
  const [{ CaptureMetrics }, { startMetricsServer }] = await Promise.all([
    import('../metrics/capture-metrics.js'),
    import('../metrics/metrics-server.js'),
  ]);
  const metrics = new CaptureMetrics({ staleAfterMs });
  const endpoint = await startMetricsServer(metrics, {
    port: flags.metricsPort,
    host: flags.metricsHost ?? DEFAULT_METRICS_HOST,
    portName: optionOrigin(program, 'metricsPort') ?? '--metrics-port',
    hostName: optionOrigin(program, 'metricsHost') ?? '--metrics-host',
  });
  return { metrics, endpoint };
}
