/**
 * Error classes with the exit code each one means. Expected errors carry a one-line message that
 * says what went wrong and what to do; the CLIs print it without a stack trace.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class L1Error extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flag or flag value. Exit 2, nothing written. */
export class UsageError extends L1Error {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** Bad input file or value in it (missing CSV, invalid product id on line N). Exit 2, nothing written. */
export class InputError extends L1Error {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** Redis cannot be reached or refuses us. Exit 1. The message names the URL with the password masked. */
export class RedisUnavailableError extends L1Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT_FAILURE, options);
  }
}

/**
 * What can go wrong with one exchange request, after the adapter has read the venue's own error
 * shape. Retry logic looks only at `kind`, so it is written once for every venue.
 */
export type ExchangeErrorKind =
  | 'not_found' // the product does not exist on the venue: never retried
  | 'rate_limited' // 429 (or the venue's equivalent): retried after Retry-After, slows the limiter
  | 'banned' // 418 / 403 IP ban: retried only after the venue's stated delay
  | 'geo_blocked' // 451 / restricted location: never retried
  | 'server' // 5xx or the venue's "busy": retried
  | 'timeout' // no answer within the timeout: retried
  | 'network' // connection refused / reset: retried
  | 'dns' // the venue's host does not resolve: retried per venue, not per product (dns-gate.ts)
  | 'bad_response' // a body we could not parse: retried (often a proxy's error page)
  | 'client'; // any other 4xx: never retried

const RETRYABLE: ReadonlySet<ExchangeErrorKind> = new Set([
  'rate_limited',
  'banned',
  'server',
  'timeout',
  'network',
  'dns',
  'bad_response',
]);

export class ExchangeError extends L1Error {
  readonly kind: ExchangeErrorKind;
  readonly exchange: string;
  readonly productId: string | undefined;
  readonly status: number | undefined;
  /** The delay the venue asked for (Retry-After), in ms, if it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(args: {
    kind: ExchangeErrorKind;
    exchange: string;
    message: string;
    productId?: string | undefined;
    status?: number | undefined;
    retryAfterMs?: number | undefined;
    cause?: unknown;
  }) {
    super(args.message, EXIT_FAILURE, { cause: args.cause });
    this.kind = args.kind;
    this.exchange = args.exchange;
    this.productId = args.productId;
    this.status = args.status;
    this.retryAfterMs = args.retryAfterMs;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
