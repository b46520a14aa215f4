import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodings } from './redact.js';
import { SplitLineRedactor } from './split-lines.js';

const SECRET = 'TF-S3CRET-0123456789';

function redactorFor(...secrets: string[]): SplitLineRedactor {
  const forms = secrets.flatMap(encodings);
  return new SplitLineRedactor(() => forms);
}

/** The whole output, written in pieces of `size` bytes. */
function redact(redactor: SplitLineRedactor, text: string, size = 7): string {
  const input = Buffer.from(text);
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += size) out.push(redactor.write(input.subarray(at, at + size)));
  out.push(redactor.end());
  return Buffer.concat(out).toString();
}

const progress = (addr: string, output: string) =>
  JSON.stringify({
    '@level': 'info',
    '@message': `${addr}: (local-exec): ${output}`,
    '@module': 'terraform.ui',
    hook: { resource: { addr, resource_type: 'terraform_data' }, provisioner: 'local-exec', output },
    type: 'provision_progress',
  });

describe('secrets terraform cut across provisioner lines', () => {
  it('removes both parts in text output, with other resources’ lines between them', () => {
    const out = redact(
      redactorFor(SECRET),
      [
        'terraform_data.a: Provisioning with local-exec...',
        'terraform_data.a (local-exec): 1 TF-S3CRET-012',
        'terraform_data.b (local-exec): 3456789 is not a part',
        'terraform_data.a (local-exec): 3456789 and more',
        'terraform_data.a (local-exec): 2 TF-S3CRET-0123456789 whole: the byte redactor’s',
        '',
      ].join('\n'),
    );
    assert.equal(
      out,
      [
        'terraform_data.a: Provisioning with local-exec...',
        'terraform_data.a (local-exec): 1 ***',
        'terraform_data.b (local-exec): 3456789 is not a part',
        'terraform_data.a (local-exec): *** and more',
        'terraform_data.a (local-exec): 2 TF-S3CRET-0123456789 whole: the byte redactor’s',
        '',
      ].join('\n'),
    );
  });

  it('finds a secret whose whitespace the cut trimmed, and one cut twice', () => {
    const out = redact(
      redactorFor('correct horse battery staple', SECRET),
      [
        'null_resource.x (local-exec): correct',
        'null_resource.x (local-exec): horse battery staple!',
        'null_resource.x (local-exec): TF-S3CR',
        'null_resource.x (local-exec): ET-0123',
        'null_resource.x (local-exec): 456789',
        '',
      ].join('\n'),
    );
    assert.equal(
      out,
      [
        'null_resource.x (local-exec): ***',
        'null_resource.x (local-exec): ***!',
        'null_resource.x (local-exec): ***',
        'null_resource.x (local-exec): ***',
        'null_resource.x (local-exec): ***',
        '',
      ].join('\n'),
    );
  });

  it('removes both parts of a -json provision_progress pair, in the output and the message', () => {
    const out = redact(redactorFor(SECRET), `${progress('terraform_data.a', 'x TF-S3CRET')}\n${progress('terraform_data.a', '-0123456789 y')}\n`, 13);
    const [first, second] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(first.hook.output, 'x ***');
    assert.equal(first['@message'], 'terraform_data.a: (local-exec): x ***');
    assert.equal(second.hook.output, '*** y');
    assert.equal(second['@message'], 'terraform_data.a: (local-exec): *** y');
    assert.equal(second.type, 'provision_progress');
  });

  it('holds a line that ends in the start of a secret until the next line decides it', () => {
    const redactor = redactorFor(SECRET);
    assert.equal(redactor.write(Buffer.from('terraform_data.a (local-exec): value TF-S3\n')).toString(), '');
    assert.equal(redactor.write(Buffer.from('Still creating...\n')).toString(), '', 'the lines after it wait with it');
    assert.equal(
      redactor.write(Buffer.from('terraform_data.a (local-exec): CRET is no secret\n')).toString(),
      'terraform_data.a (local-exec): value TF-S3\nStill creating...\nterraform_data.a (local-exec): CRET is no secret\n',
    );
  });

  it('lets a line ending in a few bytes of a secret through at once, and still removes the rest', () => {
    const redactor = redactorFor(SECRET);
    assert.equal(redactor.write(Buffer.from('terraform_data.a (local-exec): TF-\n')).toString(), 'terraform_data.a (local-exec): TF-\n');
    assert.equal(redactor.write(Buffer.from('terraform_data.a (local-exec): S3CRET-0123456789\n')).toString(), 'terraform_data.a (local-exec): ***\n');
  });

  it('gives a held line up after 100 lines without its provisioner, and everything at the end', () => {
    const redactor = redactorFor(SECRET);
    assert.equal(redactor.write(Buffer.from('terraform_data.a (local-exec): TF-S3CRET\n')).toString(), '');
    const others = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');
    assert.equal(redactor.write(Buffer.from(others)).toString(), `terraform_data.a (local-exec): TF-S3CRET\n${others}`);
    assert.equal(redactor.write(Buffer.from('terraform_data.b (local-exec): TF-S3CRET-01\nno line end')).toString(), '');
    assert.equal(redactor.end().toString(), 'terraform_data.b (local-exec): TF-S3CRET-01\nno line end');
  });

  it('passes any other output through unchanged, however it is cut', () => {
    const text = `${['plain', '{"type":"provision_progress", not json', 'x (local-exec): TF-S3CRET', '', 'é😀 (file): ok'].join('\n')}\ntail`;
    for (const size of [1, 2, 3, 5, 64]) assert.equal(redact(redactorFor(SECRET), text, size), text, `pieces of ${size}`);
    const long = `${'y'.repeat(70_000)}\nafter\n`;
    assert.equal(redact(redactorFor(SECRET), long, 4096), long, 'a line longer than 64 KiB');
  });
});
