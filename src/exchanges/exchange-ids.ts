/** Every venue the tool speaks, in one list; the registry maps each to its adapter. */
export const EXCHANGE_IDS = ['coinbase'] as const;
export type ExchangeId = (typeof EXCHANGE_IDS)[number];
export const DEFAULT_EXCHANGE: ExchangeId = 'coinbase';

export function isExchangeId(value: string): value is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(value);
}
