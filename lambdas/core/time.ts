/**
 * Times on the wire are local times of one configured IANA zone, to the second and
 * without offset (`2026-11-24T20:00:00`): RuoYi sends its server's local time that way
 * and its pages read a zone-less time as the browser's local time. What is stored stays
 * an instant (epoch ms, or UTC text for models and configs) and becomes a wire time only
 * on the way out, so changing the zone moves every time shown, old ones included.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const formatterFor = (timeZone: string) =>
  new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });

/** A zone name Intl knows (`Asia/Shanghai`, `UTC`); offsets such as `+08:00` are not zones. */
export const isTimeZone = (zone: string): boolean => {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
};

/** Formats instants as local times of `timeZone`; the formatter is built once. */
export const localTimeIn = (timeZone: string) => {
  const formatter = formatterFor(timeZone);
  return (instant: Date | number): string => {
    const part: Record<string, string> = {};
    for (const { type, value } of formatter.formatToParts(instant)) part[type] = value;
    return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}`;
  };
};

let wireFormat = localTimeIn(DEFAULT_TIME_ZONE);

/** Sets the wire zone, once at start-up from the validated settings (`TIME_ZONE`). */
export const useTimeZone = (timeZone: string): void => {
  wireFormat = localTimeIn(timeZone);
};

export const wireTime = (instant: Date | number): string => wireFormat(instant);

export const wireNow = (): string => wireTime(Date.now());

/**
 * The instant a wire time names (`2026-11-24T20:00:00`, local to the wire zone), NaN for
 * text that is not one: the zone's offset is found by formatting a first guess, and once
 * more so a daylight-saving change between the guess and the answer settles.
 */
export const instantOfWireTime = (text: string): number => {
  const naive = Date.parse(`${text}Z`);
  if (Number.isNaN(naive)) return Number.NaN;
  let instant = naive;
  for (let pass = 0; pass < 2; pass += 1) instant = naive - (Date.parse(`${wireTime(instant)}Z`) - instant);
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

/**
 * The instant a wire time (`2026-11-24T20:00:00`, local to the configured zone) stands for.
 * Two corrections of the zone's offset settle it, daylight saving included; a local time
 * the clocks skip lands an hour later, one they repeat takes its first instant.
 */
export const wireInstant = (local: string): number => {
  const asUtc = Date.parse(`${local}Z`);
  let instant = asUtc;
  for (let i = 0; i < 2; i++) instant += asUtc - Date.parse(`${wireTime(instant)}Z`);
  return instant;
};
