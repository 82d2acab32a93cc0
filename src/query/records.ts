/**
 * Flat records (the --list rows, the --stats result) in the machine formats. Values are strings,
 * numbers (counts) or null; csv writes null as an empty cell.
 */
export type RecordValue = string | number | null;
export type FlatRecord = { [column: string]: RecordValue };

export function csvCell(value: RecordValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header row and one row per record, RFC 4180. */
export function recordsToCsv(columns: readonly string[], records: readonly FlatRecord[]): string {
  const lines = [columns.join(',')];
  for (const r of records) lines.push(columns.map((c) => csvCell(r[c] ?? null)).join(','));
  return `${lines.join('\n')}\n`;
}

/** One JSON object per line. */
export function recordsToNdjson(records: readonly FlatRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
