/**
 * What /healthz answers: healthy while Redis takes writes and the capture is moving (some product
 * was fetched successfully within --stale-after), with a one-line reason either way. A pure
 * function of the capture's state, so every rule is plain to read and test.
 */

export interface HealthInput {
  /** performance.now() at the question, and when the capture started. */
  now: number;
  startedAt: number;
  /** False before the capture has started (connecting, replaying): not a failure yet. */
  capturing: boolean;
  redisUp: boolean;
  /** Snapshots waiting to be written. */
  queued: number;
  /** performance.now() of the newest successful fetch of any product. */
  lastFetchAt: number | undefined;
  staleAfterMs: number;
}

export interface HealthVerdict {
  healthy: boolean;
  /** One line of JSON: {"status":"ok"|"unhealthy","reason":…}. */
  body: string;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function judgeHealth(h: HealthInput): HealthVerdict {
  const verdict = (healthy: boolean, reason: string, extra: Record<string, number> = {}) => ({
    healthy,
    body: JSON.stringify({ status: healthy ? 'ok' : 'unhealthy', reason, ...extra }),
  });
  if (!h.redisUp)
    return verdict(false, `Redis is unreachable; ${h.queued} snapshot(s) wait to be written`, {
      queued: h.queued,
    });
  if (!h.capturing) return verdict(true, 'starting');
  if (h.lastFetchAt === undefined) {
    const waited = h.now - h.startedAt;
    return waited > h.staleAfterMs
      ? verdict(false, `no snapshot fetched in ${seconds(waited)} s since the start`)
      : verdict(true, 'starting: no snapshot fetched yet');
  }
  const age = h.now - h.lastFetchAt;
  if (age > h.staleAfterMs)
    return verdict(
      false,
      `no snapshot fetched for ${seconds(age)} s (more than --stale-after, ${seconds(h.staleAfterMs)} s)`,
      {
        last_fetch_age_seconds: seconds(age),
      },
    );
  return verdict(true, 'capturing', { last_fetch_age_seconds: seconds(age), queued: h.queued });
}
