/** Helpers for reading adapter outcomes in tests. */
import { expect } from 'vitest';
import { ExchangeError, type ExchangeErrorKind } from '../../src/errors.js';
import type { L1Outcome } from '../../src/exchanges/exchange-api.js';
import type { L1Snapshot } from '../../src/snapshot.js';

export function snapshotOf(outcomes: Map<string, L1Outcome>, productId: string): L1Snapshot {
  const o = outcomes.get(productId);
  if (o === undefined) throw new Error(`no outcome for ${productId}`);
  if (o instanceof ExchangeError) throw new Error(`${productId} failed: ${o.kind}: ${o.message}`);
  return o;
}

export function errorOf(outcomes: Map<string, L1Outcome>, productId: string): ExchangeError {
  const o = outcomes.get(productId);
  if (!(o instanceof ExchangeError)) throw new Error(`${productId} did not fail: ${JSON.stringify(o)}`);
  return o;
}

/** Runs `fn`, expects it to reject with an ExchangeError of `kind`, and returns the error. */
export async function rejection(fn: () => Promise<unknown>, kind: ExchangeErrorKind): Promise<ExchangeError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ExchangeError);
  const err = caught as ExchangeError;
  expect(err.kind, err.message).toBe(kind);
  return err;
}

/** Fixed-width ISO timestamp with microseconds. */
export const FIXED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
