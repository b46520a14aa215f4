import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes streamed between two collections. The Buffers a transfer goes through (socket reads, TLS
 * records, COPY pieces) live outside the JS heap, and V8 frees them only when a collection finds
 * them dead; while bytes stream little JS-heap allocation happens, so V8 waits until some 64 MB of
 * them have piled up (its external-memory limit). Those held across a COPY outlive the young
 * generation's collections, so only a full one frees them. A full collection every 16 MiB keeps a
 * 100 MB transfer's memory growth near 15 MB, for a few milliseconds each (docs/design.md "Blobs").
 */
const BYTES_PER_COLLECTION = 16 * 1024 * 1024;

// `gc` is only reachable with --expose-gc; set at run time, it appears in contexts made afterwards.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let streamed = 0;
let streamedAtCollection = 0;

/** Counts bytes a blob transfer moved, and collects garbage every BYTES_PER_COLLECTION of them. */
export function countStreamedBytes(bytes: number): void {
  streamed += bytes;
  if (streamed - streamedAtCollection < BYTES_PER_COLLECTION) return;
  streamedAtCollection = streamed;
  collectGarbage();
}

/** The bytes blob transfers moved since the process started. */
export function streamedBytes(): number {
  return streamed;
}

/** Passes a read's pieces on, counting each one's length: every blob store's read streams through it. */
export async function* countedReadPieces(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const piece of pieces) {
    countStreamedBytes(piece.length);
    yield piece;
  }
}
