/** Go's time layouts (`2006-01-02T15:04:05Z07:00`): formatting instants and parsing text. */
import { BuiltinError } from '../errors.js';
import { civil, DAYS, daysFromCivil, MAX_NS, MIN_NS, MONTHS } from './time-civil.js';

export const NAMED_LAYOUTS: Record<string, string> = {
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

export function formatTime(ns: bigint, zone: string, layout: string): string {
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

export function parseTime(layout: string, value: string): bigint {
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
