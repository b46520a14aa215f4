/** Instants (nanoseconds since the Unix epoch) as wall-clock fields in a time zone, and calendar days. */
import { BuiltinError } from '../errors.js';

const NS_PER_MS = 1_000_000n;
export const MIN_NS = -9223372036854775808n;
export const MAX_NS = 9223372036854775807n;

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Wall-clock fields of an instant in a zone. */
interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yearDay: number;
  offsetSeconds: number;
  zoneAbbrev: string;
}

export function toBig(ns: number | bigint): bigint {
  const big = typeof ns === 'bigint' ? ns : BigInt(Math.round(ns));
  if (big < MIN_NS || big > MAX_NS) throw new BuiltinError('timestamp too big');
  return big;
}

function zoneOffsetSeconds(ms: number, zone: string): number {
  if (zone === 'UTC' || zone === '') return 0;
  const key = `${zone}`;
  let fmt = formatters.get(key);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new BuiltinError(`unknown time zone ${zone}`);
    }
    formatters.set(key, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const local = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 1000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export function civil(ns: bigint, zone: string): Civil {
  const msBig = ns >= 0n ? ns / NS_PER_MS : -((-ns + NS_PER_MS - 1n) / NS_PER_MS);
  const ms = Number(msBig);
  const nanos = Number(ns - msBig * NS_PER_MS) + (ms - Math.floor(ms / 1000) * 1000) * 1_000_000;
  const offset = zoneOffsetSeconds(ms, zone);
  const date = new Date(Math.floor(ms / 1000) * 1000 + offset * 1000);
  if (Number.isNaN(date.getTime())) throw new BuiltinError('time outside of valid range');
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    nanos,
    weekday: date.getUTCDay(),
    yearDay: Math.round((dayStart - start) / 86400000) + 1,
    offsetSeconds: offset,
    zoneAbbrev: zone === '' || zone === 'UTC' ? 'UTC' : zoneAbbreviation(ms, zone, offset),
  };
}

function zoneAbbreviation(ms: number, zone: string, offset: number): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value;
    if (name && !name.startsWith('GMT')) return name;
  } catch {
    // fall through to the numeric form Go prints for zones without an abbreviation
  }
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  return m === 0 ? `${sign}${String(h).padStart(2, '0')}` : `${sign}${String(h).padStart(2, '0')}${String(m).padStart(2, '0')}`;
}

export function daysFromCivil(y: number, m: number, d: number): bigint {
  // Howard Hinnant's algorithm: exact for any proleptic Gregorian date.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return BigInt(era * 146097 + doe - 719468);
}
