/** providers.aws.sign_req: AWS Signature Version 4 of an HTTP request object, as OPA's internal/providers/aws signs it. */
import { createHash, createHmac } from 'node:crypto';
import { BuiltinError } from '../errors.js';
import { RegoObject, type Value } from '../value.js';
import { goJSON } from './encoding.js';
import { obj, register } from './registry.js';

const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
const REQUIRED_REQUEST = ['method', 'url'];
/** Headers a proxy may change on the way: never signed (aws-sdk-go's ignore list). */
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

function operandError(position: number, message: string): BuiltinError {
  return new BuiltinError(`operand ${position} ${message}`, true);
}

/** The keys among `required` that `o` lacks, and those it has with a value that is not a string, as Rego sets print. */
function checkKeys(o: RegoObject, required: readonly string[], position: number, what: string): void {
  const missing = required.filter((k) => o.get(k) === undefined);
  if (missing.length > 0) throw operandError(position, `missing required ${what} parameters(s): ${setText(missing)}`);
  const invalid = required.filter((k) => typeof o.get(k) !== 'string');
  if (invalid.length > 0) throw operandError(position, `invalid values for required ${what} parameters(s): ${setText(invalid)}`);
}

function setText(keys: readonly string[]): string {
  return `{${[...keys]
    .sort()
    .map((k) => JSON.stringify(k))
    .join(', ')}}`;
}

function text(v: Value | undefined): string {
  return typeof v === 'string' ? v : '';
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/** Go's url.URL parts SigV4 uses: the host, the path as written (empty for none) and the raw query. */
function urlParts(url: string): { host: string; path: string; query: string } {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!match) return { host: '', path: url.split(/[?#]/)[0] ?? '', query: '' };
  return { host: match[1] as string, path: match[2] as string, query: match[3] ?? '' };
}

function utcStamp(ms: number): { date: string; time: string } {
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  return { date, time: `${date}T${iso.slice(11, 19).replaceAll(':', '')}Z` };
}

register('providers.aws.sign_req', 3, (args) => {
  const request = obj(args, 0);
  const config = obj(args, 1);
  checkKeys(config, REQUIRED_CONFIG, 2, 'AWS config');
  const ns = args[2]!;
  if (typeof ns !== 'number' && typeof ns !== 'bigint') throw new BuiltinError(`operand 3 must be number but got ${typeof ns}`, true);
  // time.Unix(0, n) of a whole number; a number written as a float (1e9, -1e9) does not convert.
  if ((typeof ns === 'number' && !Number.isSafeInteger(ns)) || ns < 0) throw operandError(3, 'could not convert time_ns value into a unix timestamp');
  checkKeys(request, REQUIRED_REQUEST, 1, 'request');
  const headersValue = request.get('headers');
  if (headersValue !== undefined && !(headersValue instanceof RegoObject)) throw new BuiltinError('operand 1 must be object', true);
  const headers = headersValue ?? new RegoObject();
  const disable = config.get('disable_payload_signing');
  if (disable !== undefined && typeof disable !== 'boolean') throw operandError(2, "invalid value for 'disable_payload_signing' in AWS config");

  const rawBody = request.get('raw_body');
  const body = request.get('body');
  const bodyBytes = rawBody !== undefined ? text(rawBody) : body !== undefined ? goJSON(body) : '';
  const contentHash = disable === true ? 'UNSIGNED-PAYLOAD' : sha256Hex(bodyBytes);
  const service = text(config.get('aws_service'));
  const region = text(config.get('aws_region'));
  const sessionToken = text(config.get('aws_session_token'));
  const url = urlParts(text(request.get('url')));
  const { date, time } = utcStamp(Number(BigInt(ns) / 1_000_000n));

  const awsHeaders: [string, string][] = [
    ['host', url.host],
    ['x-amz-date', time],
  ];
  // S3 and Glacier need the payload's hash as a header; other services do not.
  if (service === 's3' || service === 'glacier') awsHeaders.push(['x-amz-content-sha256', contentHash]);
  if (sessionToken !== '') awsHeaders.push(['x-amz-security-token', sessionToken]);
  const toSign = new Map(awsHeaders);
  for (const [k, v] of headers.entries()) {
    const name = text(k).toLowerCase();
    if (!IGNORED_HEADERS.has(name)) toSign.set(name, text(v));
  }
  const names = [...toSign.keys()].sort();
  const signedHeaders = names.join(';');
  const canonical =
    [request.get('method'), url.path, url.query].map(text).join('\n') +
    '\n' +
    names.map((k) => `${k}:${toSign.get(k)}\n`).join('') +
    '\n' +
    signedHeaders +
    '\n' +
    contentHash;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${time}\n${scope}\n${sha256Hex(canonical)}`;
  let key = hmac(`AWS4${text(config.get('aws_secret_access_key'))}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString('hex');

  const signed = RegoObject.from([...headers.entries()].map(([k, v]) => [text(k), text(v)] as const));
  signed.set(
    'Authorization',
    `AWS4-HMAC-SHA256 Credential=${text(config.get('aws_access_key'))}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`,
  );
  for (const [k, v] of awsHeaders) signed.set(k, v);
  const out = RegoObject.from(request.entries());
  out.set('headers', signed);
  return out;
});
