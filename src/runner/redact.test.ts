import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodings, goJsonString, goQuoted, Redactor } from './redact.js';

/** A small seeded generator: a failing case can be replayed from the seed in the message. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Redacts `input` written in the given pieces; returns the pieces the redactor gave back, `end` last. */
function redactInPieces(secrets: string[], input: Buffer, cuts: number[]): Buffer[] {
  const redactor = new Redactor();
  redactor.add(secrets);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(redactor.write(input.subarray(from, cut)));
    from = cut;
  }
  out.push(redactor.end());
  return out;
}

const SECRET = 'S3NSITIVE-TF-p4ss&<w>';

describe('log redaction', () => {
  it('encodes a value as Go’s encoding/json does, HTML-safe', () => {
    assert.equal(goJsonString(Buffer.from(SECRET)).toString(), 'S3NSITIVE-TF-p4ss\\u0026\\u003cw\\u003e');
    assert.equal(goJsonString(Buffer.from(SECRET), false).toString(), SECRET);
    assert.equal(
      goJsonString(Buffer.from('q"b\\s\n\r\t\b\f\u0001\u007f é\u2028\u2029😀')).toString(),
      'q\\"b\\\\s\\n\\r\\t\\b\\f\\u0001\u007f é\\u2028\\u2029😀',
    );
    assert.equal(
      goJsonString(Buffer.from([0x61, 0xff, 0xc3, 0x62, 0xed, 0xa0, 0x80])).toString(),
      'a\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd',
      'invalid UTF-8, surrogates included',
    );
  });

  it('quotes a value as the CLI renders a string (Go’s %q)', () => {
    assert.equal(goQuoted(Buffer.from(SECRET)).toString(), SECRET);
    assert.equal(
      goQuoted(Buffer.from('q"b\\s\n\u0007\u0001\u007f\u00a0é\u200b😀\u{e0001}')).toString(),
      'q\\"b\\\\s\\n\\a\\x01\\x7f\\u00a0é\\u200b😀\\U000e0001',
    );
    assert.equal(goQuoted(Buffer.from([0x61, 0xff])).toString(), 'a\\xff');
  });

  it('lists every form once', () => {
    const forms = encodings('a"b&c').map((form) => form.toString());
    assert.deepEqual(forms.sort(), ['a"b&c', 'a\\"b&c', 'a\\"b\\u0026c', 'a\\\\\\"b\\\\u0026c', 'a\\\\\\"b\\u0026c'].sort());
    assert.deepEqual(encodings('plain').map(String), ['plain']);
  });

  it('redacts each form, the longest secret first, and what a provisioner printed line by line', () => {
    const log = [
      `plain ${SECRET}`,
      `{"@message":"${goJsonString(Buffer.from(SECRET))}"}`,
      `Error: Invalid value "${goQuoted(Buffer.from('tab\there'))}"`,
      `{"@message":"value \\"${goJsonString(goQuoted(Buffer.from('tab\there')))}\\""}`,
      'abcdef abc x',
      'BEGIN KEY\nline-one-of-the-key\nline-two-of-the-key\nEND',
    ].join('\n');
    const [out = Buffer.alloc(0), end = Buffer.alloc(0)] = redactInPieces(
      [SECRET, 'tab\there', 'abc', 'abcdef', '', 'x\nline-one-of-the-key\nline-two-of-the-key\ny'],
      Buffer.from(log),
      [],
    );
    assert.equal(
      Buffer.concat([out, end]).toString(),
      ['plain ***', '{"@message":"***"}', 'Error: Invalid value "***"', '{"@message":"value \\"***\\""}', '*** *** x', 'BEGIN KEY\n***\n***\nEND'].join('\n'),
    );
  });

  it('gives the same output however the stream is cut, never ends a piece inside a character, and holds back little', () => {
    const secrets = [SECRET, 'ünïcødé-sécret-😀', 'tok.terrace.0123456789'];
    const words = ['lorem ', 'ïpsüm ', '😀 ', '\n', '{"x":"', '"}\n', ...secrets, ...secrets.flatMap((s) => encodings(s).map(String))];
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const input = Buffer.from(Array.from({ length: 40 }, () => words[Math.floor(next() * words.length)]).join(''));
      const cuts = Array.from({ length: Math.floor(next() * 12) }, () => Math.floor(next() * input.length)).sort((a, b) => a - b);
      const whole = Buffer.concat(redactInPieces(secrets, input, []));
      const pieces = redactInPieces(secrets, input, cuts);
      assert.deepEqual(Buffer.concat(pieces).toString(), whole.toString(), `seed ${seed}`);
      for (const piece of pieces) assert.ok(Buffer.from(piece.toString()).equals(piece), `seed ${seed}: a piece ends inside a character`);
      for (const secret of secrets) {
        for (const form of encodings(secret)) assert.ok(!whole.includes(form), `seed ${seed}: ${form} left in ${whole}`);
      }
    }
  });

  it('holds back at most the longest form − 1 bytes, and a character cut in two', () => {
    const redactor = new Redactor();
    redactor.add([SECRET]);
    const longest = Math.max(...encodings(SECRET).map((form) => form.length));
    let written = 0;
    let returned = 0;
    for (const byte of Buffer.from('x'.repeat(100))) {
      written++;
      returned += redactor.write(Buffer.from([byte])).length;
      assert.ok(written - returned <= longest - 1, `${written - returned} held`);
    }
    assert.equal(written - returned, longest - 1);
    assert.equal(redactor.end().length, longest - 1);

    const plain = new Redactor();
    const euro = Buffer.from('€');
    assert.equal(plain.write(euro.subarray(0, 2)).length, 0, 'half a character waits');
    assert.equal(plain.write(euro.subarray(2)).toString(), '€');
  });

  it('catches a secret split across chunks at every point', () => {
    const line = Buffer.from(`echo ${goJsonString(Buffer.from(SECRET))} and ${SECRET}\n`);
    for (let cut = 0; cut <= line.length; cut++) {
      assert.equal(Buffer.concat(redactInPieces([SECRET], line, [cut])).toString(), 'echo *** and ***\n', `cut at ${cut}`);
    }
  });
});
