import { existsSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError, type SettingName } from './settings.js';

/** Parsers of setting values: each takes the setting's name as the caller wrote it, for the error, and the raw value. */

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the start (smtps, usually port 465); otherwise STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** The From address of every mail. */
  readonly from: string;
}

export function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new ConfigError(name, `"${raw}" is not a port number (1-65535)`);
  return port;
}

export function parsePositiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || !Number.isSafeInteger(value)) throw new ConfigError(name, `"${raw}" is not a positive integer`);
  return value;
}

export function parseNonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** A duration as `<n>s`, `<n>m` or `<n>h` (a bare number is seconds), in milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d{1,7})([smh]?)$/.exec(raw);
  const ms = match ? Number(match[1]) * (DURATION_UNITS_MS[match[2] || 's'] as number) : 0;
  if (ms < 1000) throw new ConfigError(name, `"${raw}" is not a duration such as 90s, 30m or 2h`);
  return ms;
}

/** Comma-separated IPv4 or IPv6 ranges in CIDR notation (`10.0.0.0/8, 2001:db8::/32`). */
export function parseCidrList(name: string, raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
      if (extra !== undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix) || bits === 0 || Number(prefix) > bits) {
        throw new ConfigError(name, `"${entry}" is not an IP range in CIDR notation, such as 203.0.113.0/24`);
      }
      return entry;
    });
}

/** Comma-separated host names, each optionally `*.`-prefixed (its subdomains) and with a `:port`. */
export function parseHostList(name: string, raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '')
    .map((entry) => {
      if (!/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/.test(entry) && !/^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(entry)) {
        throw new ConfigError(name, `"${entry}" is not a host such as hooks.example.com, *.example.com or 10.0.0.5:8080`);
      }
      return entry;
    });
}

/** The SMTP server: TERRACE_SMTP_URL, or the TERRACE_SMTP_* settings; undefined when neither names a host. */
export function parseSmtp(get: (name: SettingName) => string | undefined, label: (name: SettingName) => string, hostname: string): SmtpSettings | undefined {
  const rawUrl = get('smtpUrl');
  let url: URL | undefined;
  if (rawUrl !== undefined) {
    try {
      url = new URL(rawUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError(label('smtpUrl'), 'must be smtp://[user:password@]host[:port] or smtps://…');
    }
  }
  const host = url?.hostname ?? get('smtpHost');
  if (host === undefined) return undefined;
  const rawSecure = get('smtpSecure');
  if (rawSecure !== undefined && rawSecure !== 'true' && rawSecure !== 'false')
    throw new ConfigError(label('smtpSecure'), `"${rawSecure}" is not true or false`);
  const secure = url ? url.protocol === 'smtps:' : rawSecure === 'true';
  const rawPort = (url?.port || undefined) ?? get('smtpPort');
  const decode = (value: string | undefined) => (value ? decodeURIComponent(value) : undefined);
  const from = get('smtpFrom') ?? `terrace@${hostname.replace(/:\d+$/, '')}`;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(from) && !/^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(from)) {
    throw new ConfigError(label('smtpFrom'), `"${from}" is not an email address`);
  }
  return Object.freeze({
    host,
    port: rawPort === undefined ? (secure ? 465 : 587) : parsePort(url ? label('smtpUrl') : label('smtpPort'), rawPort),
    secure,
    user: url ? decode(url.username) : get('smtpUser'),
    password: url ? decode(url.password) : get('smtpPassword'),
    from,
  });
}

export function readFileSetting(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new ConfigError(name, `file ${path} does not exist`);
  return resolve(path);
}

export function decodeKey(name: string, raw: string): Buffer {
  const trimmed = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ConfigError(name, 'must be 32 bytes, written as 64 hex digits or base64');
  return key;
}
