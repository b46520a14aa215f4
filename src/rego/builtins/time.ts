/**
 * time.* built-ins. Instants are nanoseconds since the Unix epoch; numbers are doubles here, so
 * nanosecond instants keep about microsecond precision (OPA keeps all digits).
 */
import { BuiltinError } from '../errors.js';
import { normalizeInt, type Value } from '../value.js';
import { exactNum, int, operandError, register, str } from './registry.js';

const NS_PER_MS = 1_000_000n;
const MIN_NS = -9223372036854775808n;
const MAX_NS = 9223372036854775807n;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

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

function toBig(ns: number | bigint): bigint {
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

function civil(ns: bigint, zone: string): Civil {
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

/** The [ns, zone] or ns operand of time.date, time.clock, time.weekday, time.format. */
function instantOperand(args: Value[], i: number): { ns: bigint; zone: string; layout?: string } {
  const v = args[i]!;
  if (typeof v === 'number' || typeof v === 'bigint') return { ns: toBig(v), zone: 'UTC' };
  if (Array.isArray(v)) {
    const [n, zone, layout] = v;
    if (typeof n !== 'number' && typeof n !== 'bigint') throw operandError(i + 1, 'number', n ?? null);
    if (zone !== undefined && typeof zone !== 'string') throw operandError(i + 1, 'string', zone);
    if (layout !== undefined && typeof layout !== 'string') throw operandError(i + 1, 'string', layout);
    return { ns: toBig(n), zone: zone === '' || zone === undefined ? 'UTC' : zone === 'Local' ? 'UTC' : zone, layout };
  }
  throw operandError(i + 1, 'either a number (ns) or [number (ns), string (tz)]', v);
}

// --- Go layouts ------------------------------------------------------------------------------

const LAYOUT_TOKENS = [
  'January',
  'Jan',
  'Monday',
  'Mon',
  'MST',
  '2006',
  '002',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  '_2',
  'Z07:00:00',
  'Z07:00',
  'Z0700',
  'Z07',
  '-07:00:00',
  '-07:00',
  '-0700',
  '-07',
  'PM',
  'pm',
  '1',
  '2',
  '3',
  '4',
  '5',
];

type LayoutPart = { literal: string } | { token: string } | { fraction: string };

function tokenizeLayout(layout: string): LayoutPart[] {
  const parts: LayoutPart[] = [];
  let i = 0;
  let literal = '';
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && (i === 0 || /[0-9]/.test(layout[i - 1]!) || layout.slice(i - 2, i) === '05' || true)) {
      if (layout.slice(0, i).endsWith('05') || layout.slice(0, i).endsWith('5')) {
        if (literal) parts.push({ literal });
        literal = '';
        parts.push({ fraction: frac[0] });
        i += frac[0].length;
        continue;
      }
    }
    const token = LAYOUT_TOKENS.find((t) => layout.startsWith(t, i));
    if (token) {
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ token });
      i += token.length;
    } else {
      literal += layout[i];
      i++;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function formatOffset(offset: number, token: string): string {
  if (token.startsWith('Z') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = pad2(Math.floor(abs / 3600));
  const m = pad2(Math.floor((abs % 3600) / 60));
  const s = pad2(abs % 60);
  const bare = token.replace(/^Z/, '-');
  switch (bare) {
    case '-07:00:00':
      return `${sign}${h}:${m}:${s}`;
    case '-07:00':
      return `${sign}${h}:${m}`;
    case '-0700':
      return `${sign}${h}${m}`;
    default:
      return `${sign}${h}`;
  }
}

function formatTime(ns: bigint, zone: string, layout: string): string {
  const c = civil(ns, zone);
  let out = '';
  for (const part of tokenizeLayout(layout)) {
    if ('literal' in part) out += part.literal;
    else if ('fraction' in part) {
      const digits = part.fraction.length - 1;
      let text = String(c.nanos).padStart(9, '0').slice(0, digits);
      if (part.fraction[1] === '9') {
        text = text.replace(/0+$/, '');
        if (text) out += part.fraction[0] + text;
      } else out += part.fraction[0] + text;
    } else {
      switch (part.token) {
        case 'January':
          out += MONTHS[c.month - 1];
          break;
        case 'Jan':
          out += MONTHS[c.month - 1]!.slice(0, 3);
          break;
        case 'Monday':
          out += DAYS[c.weekday];
          break;
        case 'Mon':
          out += DAYS[c.weekday]!.slice(0, 3);
          break;
        case 'MST':
          out += c.zoneAbbrev;
          break;
        case '2006':
          out += String(c.year).padStart(4, '0');
          break;
        case '06':
          out += pad2(c.year % 100);
          break;
        case '002':
          out += String(c.yearDay).padStart(3, '0');
          break;
        case '01':
          out += pad2(c.month);
          break;
        case '1':
          out += String(c.month);
          break;
        case '02':
          out += pad2(c.day);
          break;
        case '_2':
          out += String(c.day).padStart(2, ' ');
          break;
        case '2':
          out += String(c.day);
          break;
        case '15':
          out += pad2(c.hour);
          break;
        case '03':
          out += pad2(c.hour % 12 === 0 ? 12 : c.hour % 12);
          break;
        case '3':
          out += String(c.hour % 12 === 0 ? 12 : c.hour % 12);
          break;
        case '04':
          out += pad2(c.minute);
          break;
        case '4':
          out += String(c.minute);
          break;
        case '05':
          out += pad2(c.second);
          break;
        case '5':
          out += String(c.second);
          break;
        case 'PM':
          out += c.hour >= 12 ? 'PM' : 'AM';
          break;
        case 'pm':
          out += c.hour >= 12 ? 'pm' : 'am';
          break;
        default:
          out += formatOffset(c.offsetSeconds, part.token);
      }
    }
  }
  return out;
}

function daysFromCivil(y: number, m: number, d: number): bigint {
  // Howard Hinnant's algorithm: exact for any proleptic Gregorian date.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return BigInt(era * 146097 + doe - 719468);
}

function parseTime(layout: string, value: string): bigint {
  const fail = () =>
    new BuiltinError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(value)} as ${JSON.stringify(layout)}`);
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0n;
  let offset = 0;
  let pm: boolean | undefined;
  let i = 0;
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^[0-9]{${min},${max}}`).exec(value.slice(i));
    if (!m) throw fail();
    i += m[0].length;
    return Number(m[0]);
  };
  for (const part of tokenizeLayout(layout)) {
    if ('literal' in part) {
      if (!value.startsWith(part.literal, i)) throw fail();
      i += part.literal.length;
      continue;
    }
    if ('fraction' in part) {
      const m = /^[.,]([0-9]+)/.exec(value.slice(i));
      if (m) {
        nanos = BigInt(m[1]!.slice(0, 9).padEnd(9, '0'));
        i += m[0].length;
      } else if (part.fraction[1] === '0') throw fail();
      continue;
    }
    const t = part.token;
    switch (t) {
      case 'January':
      case 'Jan': {
        const idx = MONTHS.findIndex((name) => value.startsWith(t === 'Jan' ? name.slice(0, 3) : name, i));
        if (idx < 0) throw fail();
        i += t === 'Jan' ? 3 : MONTHS[idx]!.length;
        month = idx + 1;
        break;
      }
      case 'Monday':
      case 'Mon': {
        const idx = DAYS.findIndex((name) => value.startsWith(t === 'Mon' ? name.slice(0, 3) : name, i));
        if (idx < 0) throw fail();
        i += t === 'Mon' ? 3 : DAYS[idx]!.length;
        break;
      }
      case 'MST': {
        const m = /^[A-Z]{3,5}/.exec(value.slice(i));
        if (!m) throw fail();
        i += m[0].length;
        break;
      }
      case '2006':
        year = num(4, 4);
        break;
      case '06':
        year = num(2, 2);
        year += year >= 69 ? 1900 : 2000;
        break;
      case '01':
        month = num(2, 2);
        break;
      case '1':
        month = num(1, 2);
        break;
      case '02':
        day = num(2, 2);
        break;
      case '_2':
        if (value[i] === ' ') i++;
        day = num(1, 2);
        break;
      case '2':
        day = num(1, 2);
        break;
      case '002':
        num(3, 3);
        break;
      case '15':
        hour = num(1, 2);
        break;
      case '03':
      case '3':
        hour = num(t === '03' ? 2 : 1, 2);
        break;
      case '04':
      case '4':
        minute = num(t === '04' ? 2 : 1, 2);
        break;
      case '05':
      case '5': {
        second = num(t === '05' ? 2 : 1, 2);
        // Go accepts a fraction after seconds even when the layout has none.
        const m = /^[.,]([0-9]+)/.exec(value.slice(i));
        if (m && !layout.includes('.') && !layout.includes(',')) {
          nanos = BigInt(m[1]!.slice(0, 9).padEnd(9, '0'));
          i += m[0].length;
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const s = value.slice(i, i + 2).toUpperCase();
        if (s !== 'AM' && s !== 'PM') throw fail();
        pm = s === 'PM';
        i += 2;
        break;
      }
      default: {
        if (t.startsWith('Z') && value[i] === 'Z') {
          i++;
          break;
        }
        const m = /^([+-])([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{2}))?/.exec(value.slice(i));
        if (!m) throw fail();
        i += m[0].length;
        offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
      }
    }
  }
  if (i !== value.length) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(value.slice(i))}`);
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: month out of range`);
  const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysIn || hour > 23 || minute > 59 || second > 59) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: day out of range`);
  const seconds = daysFromCivil(year, month, day) * 86400n + BigInt(hour * 3600 + minute * 60 + second - offset);
  const ns = seconds * 1_000_000_000n + nanos;
  if (ns < MIN_NS || ns > MAX_NS) throw new BuiltinError('time outside of valid range');
  return ns;
}

function nsResult(ns: bigint): number | bigint {
  return normalizeInt(ns);
}

register('time.parse_ns', 2, (args) => nsResult(parseTime(NAMED_LAYOUTS[str(args, 0)] ?? str(args, 0), str(args, 1))));
register('time.parse_rfc3339_ns', 1, (args) => nsResult(parseTime(NAMED_LAYOUTS.RFC3339!, str(args, 0))));

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

register('time.parse_duration_ns', 1, (args) => {
  const text = str(args, 0);
  const invalid = () => new BuiltinError(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s) {
    const m = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(s)) throw new BuiltinError(`time: missing unit in duration ${JSON.stringify(text)}`);
      const unit = /^[0-9.]+([^0-9.]+)/.exec(s);
      if (unit) throw new BuiltinError(`time: unknown unit ${JSON.stringify(unit[1])} in duration ${JSON.stringify(text)}`);
      throw invalid();
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
});

register('time.date', 1, (args) => {
  const { ns, zone } = instantOperand(args, 0);
  const c = civil(ns, zone);
  return [c.year, c.month, c.day];
});
register('time.clock', 1, (args) => {
  const { ns, zone } = instantOperand(args, 0);
  const c = civil(ns, zone);
  return [c.hour, c.minute, c.second];
});
register('time.weekday', 1, (args) => {
  const { ns, zone } = instantOperand(args, 0);
  return DAYS[civil(ns, zone).weekday]!;
});
register('time.format', 1, (args) => {
  const { ns, zone, layout } = instantOperand(args, 0);
  return formatTime(ns, zone, layout === undefined ? NAMED_LAYOUTS.RFC3339Nano! : (NAMED_LAYOUTS[layout] ?? layout));
});

register('time.add_date', 4, (args) => {
  const ns = toBig(exactNum(args, 0));
  const years = int(args, 1);
  const months = int(args, 2);
  const days = int(args, 3);
  const c = civil(ns, 'UTC');
  // Go normalizes overflowing months and days (Jan 31 + 1 month is Mar 3 or 2).
  const totalMonths = c.year * 12 + (c.month - 1) + years * 12 + months;
  const y = Math.floor(totalMonths / 12);
  const m = totalMonths - y * 12 + 1;
  const dayNumber = daysFromCivil(y, m, 1) + BigInt(c.day - 1 + days);
  const result = (dayNumber * 86400n + BigInt(c.hour * 3600 + c.minute * 60 + c.second)) * 1_000_000_000n + BigInt(c.nanos);
  if (result < MIN_NS || result > MAX_NS) throw new BuiltinError('time outside of valid range');
  return nsResult(result);
});

register('time.diff', 2, (args) => {
  const a = instantOperand(args, 0);
  const b = instantOperand(args, 1);
  // As Go's implementation: both instants in the first one's zone.
  let x = civil(a.ns, a.zone);
  let y = civil(b.ns, a.zone);
  if (a.ns > b.ns) [x, y] = [y, x];
  let years = y.year - x.year;
  let months = y.month - x.month;
  let days = y.day - x.day;
  let hours = y.hour - x.hour;
  let minutes = y.minute - x.minute;
  let seconds = y.second - x.second;
  if (seconds < 0) {
    seconds += 60;
    minutes--;
  }
  if (minutes < 0) {
    minutes += 60;
    hours--;
  }
  if (hours < 0) {
    hours += 24;
    days--;
  }
  if (days < 0) {
    days += new Date(Date.UTC(x.year, x.month, 0)).getUTCDate();
    months--;
  }
  if (months < 0) {
    months += 12;
    years--;
  }
  return [years, months, days, hours, minutes, seconds];
});
