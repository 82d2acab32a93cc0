/**
 * One per venue: when the venue's host does not resolve (ENOTFOUND, EAI_AGAIN: no network, no DNS,
 * a mistyped --base-url), every request to it would fail the same way, so it is a failure of the
 * venue, not of each product. One request becomes the probe and retries with the usual backoff;
 * the venue's other requests wait for the probe instead of each failing and retrying alone. When
 * the probe gets through they go on; when it gives up they fail with its error, sent nowhere.
 *
 * A venue stays "down" after a probe gave up, so the next request probes again without a second
 * report: the outage is reported once when it starts and once when it ends.
 */
import type { ExchangeError } from '../errors.js';

type Verdict = ExchangeError | undefined;

export class DnsGate {
  private downSince: number | undefined;
  private failure: ExchangeError | undefined;
  private probing = false;
  private waiters: ((verdict: Verdict) => void)[] = [];

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** The failure that started the current outage; undefined while the host resolves. */
  get outage(): ExchangeError | undefined {
    return this.failure;
  }

  /**
   * Resolves at once unless a probe is running; then when it ends: undefined to go on, or the
   * probe's last error to fail with. Rejects if `signal` aborts while waiting.
   */
  wait(signal?: AbortSignal): Promise<Verdict> {
    if (!this.probing) return Promise.resolve(undefined);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Verdict>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== settle);
        reject(signal?.reason);
      };
      const settle = (verdict: Verdict) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(verdict);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(settle);
    });
  }

  /**
   * A request's host did not resolve. Returns 'new' when this starts an outage (report it) and
   * the caller is the probe, 'probe' when the caller is the probe of an outage already reported,
   * or 'wait' when another request is probing (wait for it). `failure` is the request's own.
   */
  claimProbe(failure: ExchangeError): 'new' | 'probe' | 'wait' {
    if (this.probing) return 'wait';
    this.probing = true;
    if (this.downSince !== undefined) return 'probe';
    this.downSince = performance.now();
    this.failure = failure;
    return 'new';
  }

  /** The probe got an answer: the host resolves. Returns how long it was down (ms). */
  recovered(): number {
    const downMs = this.downSince === undefined ? 0 : performance.now() - this.downSince;
    this.downSince = undefined;
    this.failure = undefined;
    this.settle(undefined);
    return downMs;
  }

  /** The probe ran out of retries: its waiters fail with its error; the venue stays down. */
  gaveUp(error: ExchangeError): void {
    this.settle(error);
  }

  private settle(verdict: Verdict): void {
    this.probing = false;
    for (const w of this.waiters.splice(0)) w(verdict);
  }
}
