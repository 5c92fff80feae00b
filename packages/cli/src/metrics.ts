import { DriverUnavailableError, instrumentTokenService, type TokenService, type TokenStore } from '@tokenstore/core';

/** A running Prometheus scrape endpoint for the service's metrics. */
export interface MetricsEndpoint {
  url: string;
  /** Stops recording and closes the scrape endpoint. */
  close(): Promise<void>;
}

const PACKAGES = '@opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus';

/**
 * Starts the OpenTelemetry SDK with a Prometheus exporter on `host:port` (`/metrics`) and records the
 * service's metrics into it. The SDK and the exporter are optional peers of the CLI: loaded only
 * here, only when `TOKENSTORE_METRICS_PORT` is set.
 */
export async function startPrometheusMetrics(options: {
  service: TokenService;
  store: TokenStore;
  host: string;
  port: number;
}): Promise<MetricsEndpoint> {
  let sdk: typeof import('@opentelemetry/sdk-metrics');
  let prometheus: typeof import('@opentelemetry/exporter-prometheus');
  try {
    sdk = await import('@opentelemetry/sdk-metrics');
    prometheus = await import('@opentelemetry/exporter-prometheus');
  } catch (error) {
    throw new DriverUnavailableError(PACKAGES, { backend: 'cli', cause: error });
  }
  const exporter = new prometheus.PrometheusExporter({ host: options.host, port: options.port, preventServerStart: true });
  await exporter.startServer();
  const provider = new sdk.MeterProvider({ readers: [exporter] });
  const readCache = readCacheOf(options.store);
  const metrics = instrumentTokenService(options.service, {
    meter: provider.getMeter('@tokenstore/cli'),
    ...(readCache ? { readCache } : {}),
  });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${options.port}/metrics`,
    async close() {
      metrics.stop();
      // Shuts the exporter down too, which closes its HTTP server.
      await provider.shutdown();
    },
  };
}

/** The read cache in front of the store, when there is one (it counts its hits and misses). */
function readCacheOf(store: TokenStore): { stats(): { hits: number; misses: number } } | undefined {
  const candidate = store as Partial<{ stats(): { hits: number; misses: number } }>;
  return typeof candidate.stats === 'function' ? (candidate as { stats(): { hits: number; misses: number } }) : undefined;
}
