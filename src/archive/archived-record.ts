/**
 * What the archiver records in Redis (ARCHIVED_KEY, one field per product) about where a product's
 * archived range went, so l1-query can name the files of a range that is no longer in Redis.
 */
import { z } from 'zod';

export const archivedRecordSchema = z.object({
  /** The archive root the files are under. */
  dir: z.string(),
  /** Oldest and newest archived exchange time, epoch µs. */
  first: z.number(),
  last: z.number(),
});
export type ArchivedRecord = z.infer<typeof archivedRecordSchema>;

/** The stored record, or undefined for none or anything this version did not write. */
export function parseRecord(text: string | null | undefined): ArchivedRecord | undefined {
  if (!text) return undefined;
  try {
    const parsed = archivedRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
