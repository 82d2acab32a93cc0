/** Every venue the tool speaks, in one list; the registry maps each to its adapter. */
import { UsageError } from '../errors.js';

export const EXCHANGE_IDS = ['coinbase', 'kraken', 'binance', 'okx', 'bybit'] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];
export const DEFAULT_EXCHANGE: ExchangeId = 'coinbase';

export function isExchangeId(value: string): value is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(value);
}

/** "coinbase, kraken, binance, okx, bybit": for messages that list what is supported. */
export const SUPPORTED_EXCHANGES = EXCHANGE_IDS.join(', ');

/** Reads a venue name given on the command line (`--exchange Kraken`); a UsageError if unknown. */
export function parseExchangeName(value: string, flag = '--exchange'): ExchangeId {
  const name = value.trim().toLowerCase();
  if (isExchangeId(name)) return name;
  throw new UsageError(`${flag}: unknown exchange '${value}'; supported: ${SUPPORTED_EXCHANGES}`);
}
