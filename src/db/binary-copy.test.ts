import assert from 'node:assert/strict';
import { it } from 'node:test';
import { binaryCopyBytes, COPY_HEADER, COPY_TRAILER } from './binary-copy.js';

/** A field of binary COPY: its length (-1 for NULL), then its bytes. */
function field(value: Buffer | null): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(value === null ? -1 : value.length);
  return value === null ? length : Buffer.concat([length, value]);
}

function tuple(...values: (Buffer | null)[]): Buffer {
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  return Buffer.concat([count, ...values.map(field)]);
}

// Two rows of two columns, with a NULL and an empty value, after a header that carries an extension.
const withExtension = Buffer.concat([COPY_HEADER.subarray(0, 15), Buffer.from([0, 0, 0, 3]), Buffer.from('ext')]);
const output = Buffer.concat([withExtension, tuple(Buffer.from('hello '), null), tuple(Buffer.alloc(0), Buffer.from('world')), COPY_TRAILER]);

const joined = (pieces: readonly Buffer[]) => Buffer.concat(binaryCopyBytes(pieces)).toString();

it('yields the bytes of every field in order, however the output is split', () => {
  assert.equal(joined([output]), 'hello world');
  for (let at = 0; at <= output.length; at++) assert.equal(joined([output.subarray(0, at), output.subarray(at)]), 'hello world', `split at ${at}`);
  assert.equal(joined([...output].map((byte) => Buffer.from([byte]))), 'hello world');
});

it('refuses output that is not binary COPY, ends early or goes on past its end', () => {
  assert.throws(() => binaryCopyBytes([Buffer.from('id,data\n1,some text\n2,more text\n')]), /not binary COPY output/);
  assert.throws(() => binaryCopyBytes([output.subarray(0, output.length - 1)]), /ends early/);
  assert.throws(() => binaryCopyBytes([output, Buffer.from([0])]), /past its end/);
});
