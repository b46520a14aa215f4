/**
 * time.* built-ins. Instants are nanoseconds since the Unix epoch; numbers are doubles here, so
 * nanosecond instants keep about microsecond precision (OPA keeps all digits).
 */
import { BuiltinError } from '../errors.js';
import { normalizeInt, type Value } from '../value.js';
import { exactNum, int, operandError, register, str } from './registry.js';
import { civil, DAYS, daysFromCivil, MAX_NS, MIN_NS, toBig } from './time-civil.js';
import { formatTime, NAMED_LAYOUTS, parseTime } from './time-layouts.js';

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
