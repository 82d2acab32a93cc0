/**
 * Product ids go into Redis key names, so only a closed alphabet is let through: upper-case letters
 * and digits in dash-separated parts (BTC-USD, ETH-USDT). No ':', '*', spaces or lower case can reach
 * a key, whatever the input.
 */
export const PRODUCT_ID_PATTERN = /^[A-Z0-9]+(-[A-Z0-9]+)+$/;

export function isValidProductId(value: string): boolean {
  return PRODUCT_ID_PATTERN.test(value);
}

/** Trims and upper-cases what a user wrote; returns undefined when the result is not a valid id. */
export function normalizeProductId(raw: string): string | undefined {
  const id = raw.trim().toUpperCase();
  return isValidProductId(id) ? id : undefined;
}
