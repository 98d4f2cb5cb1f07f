import { setRecent } from './memo.ts';

/**
 * Times on the wire are local times of one configured IANA zone, to the second and
 * without offset (`2026-11-24T20:00:00`): RuoYi sends its server's local time that way
 * and its pages read a zone-less time as the browser's local time. What is stored stays
 * an instant (epoch ms, or UTC text for models and configs) and becomes a wire time only
 * on the way out, so changing the zone moves every time shown, old ones included.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Node's process, as much as this module uses: the page type-checks it without Node's types (web/tsconfig.json). */
declare const process: { env: Record<string, string | undefined> };

const MINUTE_MS = 60_000;
const DAY_MS = 1_440 * MINUTE_MS;
/** Every offset in use, and every change between them, falls on a quarter hour. */
const QUARTER_MS = 15 * MINUTE_MS;
/** Days and quarter hours whose offset a zone keeps. */
const MAX_KEPT = 4_096;

/**
 * A zone's offset from UTC at an instant, in ms, as V8's own date code reads it with the
 * process's TZ set to the zone for this one call and put back at once (nothing else runs
 * in between). Not Intl.DateTimeFormat: its first use loads ICU's locale data, some 20 ms
 * of a cold start at a full vCPU and 70 at a 512 MB function's share; V8's zone lookup
 * loads none. A read costs some 40 µs, so each zone keeps what it read (offsetsOf).
 */
const readOffset = (zone: string, instant: number): number => {
  const before = process.env.TZ;
  process.env.TZ = zone;
  const offset = -new Date(instant).getTimezoneOffset() * MINUTE_MS;
  if (before === undefined) delete process.env.TZ;
  else process.env.TZ = before;
  return offset;
};

/**
 * The offset of `zone` at any instant, kept by UTC day: a day whose first and last
 * millisecond agree keeps one offset (a zone changes at most once a day), a day with a
 * change keeps one a quarter hour. A list of a month's entries reads some 60 offsets.
 */
const offsetsOf = (zone: string) => {
  const days = new Map<number, number | null>();
  const quarters = new Map<number, number>();
  return (instant: number): number => {
    const day = Math.floor(instant / DAY_MS);
    let whole = days.get(day);
    if (whole === undefined) {
      const first = readOffset(zone, day * DAY_MS);
      whole = setRecent(days, day, first === readOffset(zone, (day + 1) * DAY_MS - 1) ? first : null, MAX_KEPT);
    }
    if (whole !== null) return whole;
    const quarter = Math.floor(instant / QUARTER_MS);
    return quarters.get(quarter) ?? setRecent(quarters, quarter, readOffset(zone, quarter * QUARTER_MS), MAX_KEPT);
  };
};

let listedZones: Set<string> | undefined;

/**
 * The name TZ takes for `zone`, or undefined for a zone that is none. A name ICU lists
 * is taken as it is (the list costs no locale data); another one (an alias such as
 * `UTC`, other letter case) is resolved by Intl, paying its load once.
 */
const zoneName = (zone: string): string | undefined => {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return undefined;
  listedZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (listedZones.has(zone)) return zone;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
};

/** A zone name Intl knows (`Asia/Shanghai`, `UTC`); offsets such as `+08:00` are not zones. */
export const isTimeZone = (zone: string): boolean => zoneName(zone) !== undefined;

interface WireClock {
  format(instant: Date | number): string;
  offsetAt(instant: number): number;
}

const clockIn = (timeZone: string): WireClock => {
  const name = zoneName(timeZone);
  if (!name) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  const offsetAt = offsetsOf(name);
  return {
    offsetAt,
    format: (instant) => {
      const at = Number(instant);
      return new Date(at + offsetAt(at)).toISOString().slice(0, 19);
    },
  };
};

/** Formats instants as local times of `timeZone`. */
export const localTimeIn = (timeZone: string) => clockIn(timeZone).format;

let wireClock: WireClock | undefined;
const clock = () => (wireClock ??= clockIn(DEFAULT_TIME_ZONE));

/** Sets the wire zone, once at start-up from the validated settings (`TIME_ZONE`). */
export const useTimeZone = (timeZone: string): void => {
  wireClock = clockIn(timeZone);
};

export const wireTime = (instant: Date | number): string => clock().format(instant);

export const wireNow = (): string => wireTime(Date.now());

/**
 * The instant a wire time names (`2026-11-24T20:00:00`, local to the wire zone), NaN for
 * text that is not one. Two corrections of the zone's offset settle it, daylight saving
 * included: a local time the clocks skip lands an hour earlier, one they repeat takes its
 * first instant.
 */
export const instantOfWireTime = (text: string): number => {
  const naive = Date.parse(`${text}Z`);
  if (Number.isNaN(naive)) return Number.NaN;
  const { offsetAt } = clock();
  let instant = naive;
  for (let pass = 0; pass < 2; pass += 1) instant = naive - offsetAt(instant);
  return instant;
};

/** Storage form of models' and configs' times: UTC to the second, no suffix. */
export const utcText = (date: Date): string => date.toISOString().slice(0, 19);

export const utcNow = (): string => utcText(new Date());

/** A stored UTC text as a wire time; text that is not one is passed on as it is. */
export const wireTimeOfUtc = <T extends string | null | undefined>(text: T): T | string => {
  if (!text) return text;
  const instant = Date.parse(`${text}Z`);
  return Number.isNaN(instant) ? text : wireTime(instant);
};
