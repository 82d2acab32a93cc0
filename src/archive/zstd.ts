/**
 * zstd for Parquet pages, through a WebAssembly build of the reference library (Node 20 has no zstd
 * in zlib). Loaded once, on first use, so l1-query and l1-fetch pay nothing unless they write Parquet.
 */
import { compress, decompress, init } from '@bokuweb/zstd-wasm';

/** zstd level 3: the library's default; higher levels cost far more time for a few % of size. */
const LEVEL = 3;

let ready: Promise<void> | undefined;

export function loadZstd(): Promise<void> {
  ready ??= init();
  return ready;
}

/** Compresses one page (call loadZstd() first). */
export function zstdCompress(input: Uint8Array): Uint8Array {
  return compress(input, LEVEL);
}

/** Decompresses one page (call loadZstd() first); hyparquet passes the expected length. */
export function zstdDecompress(input: Uint8Array, _outputLength: number): Uint8Array {
  return decompress(input);
}
