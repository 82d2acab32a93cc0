/**
 * One HTTP GET attempt with a timeout, shared by every adapter. It turns transport failures
 * (timeout, refused, reset) into ExchangeError; reading statuses and bodies is the adapter's job,
 * since each venue shapes its errors differently.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { ExchangeError } from '../errors.js';
import { USER_AGENT } from '../version.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

export class HttpClient {
  private readonly axios: AxiosInstance;

  constructor(
    readonly exchange: string,
    readonly timeoutMs: number,
  ) {
    this.axios = axios.create({
      timeout: timeoutMs,
      // Keep-alive: a poll of dozens of products reuses a handful of TLS connections.
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
      headers: { 'User-Agent': USER_AGENT, Accept: 'application/json' },
      // The adapter decides what a status means and parses the text itself (exact decimals).
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxRedirects: 3,
      proxy: false,
    });
  }

  async get(url: string, productId: string | undefined, signal?: AbortSignal): Promise<HttpResponse> {
    try {
      const res = await this.axios.get<string>(url, signal ? { signal } : {});
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value)
          ? value.join(', ')
          : value == null
            ? undefined
            : String(value);
      }
      return {
        status: res.status,
        headers,
        body: typeof res.data === 'string' ? res.data : String(res.data ?? ''),
      };
    } catch (err) {
      throw this.transportError(err, url, productId);
    }
  }

  private transportError(err: unknown, url: string, productId: string | undefined): ExchangeError {
    const code = isAxiosError(err) ? err.code : undefined;
    const where = productId ? `${this.exchange} ${productId}` : this.exchange;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new ExchangeError({
        kind: 'timeout',
        exchange: this.exchange,
        productId,
        message: `${where}: no answer from ${originOf(url)} within ${this.timeoutMs} ms (raise --timeout if the network is slow)`,
        cause: err,
      });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
      // The venue's host, not this product: one message per venue (dns-gate.ts).
      const host = hostOf(url);
      const why =
        code === 'ENOTFOUND'
          ? 'no such host: a typo in --base-url, or no DNS/network here'
          : 'the DNS server did not answer: no network, or DNS is down';
      return new ExchangeError({
        kind: 'dns',
        exchange: this.exchange,
        message: `${this.exchange}: cannot resolve ${host} (${code}: ${why})`,
        cause: err,
      });
    }
    if (code === 'ERR_CANCELED') {
      return new ExchangeError({
        kind: 'network',
        exchange: this.exchange,
        productId,
        message: `${where}: request cancelled`,
        cause: err,
      });
    }
    const detail = err instanceof Error ? err.message : String(err);
    return new ExchangeError({
      kind: 'network',
      exchange: this.exchange,
      productId,
      message: `${where}: cannot reach ${originOf(url)} (${code ?? detail}); check --base-url and the network`,
      cause: err,
    });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when
 * absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  return undefined;
}
