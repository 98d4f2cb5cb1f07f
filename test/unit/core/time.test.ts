import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../../lambdas/core/settings.ts';
import { instantOfWireTime, isTimeZone, localTimeIn, useTimeZone, wireTime, wireTimeOfUtc } from '../../../lambdas/core/time.ts';
import { tableEnv } from '../../../local/create-tables.ts';

const utc = (text: string) => Date.parse(`${text}Z`);

describe('wire times: local time of the configured zone, no offset', () => {
  it.each([
    ['Asia/Shanghai', '2026-11-24T12:00:00', '2026-11-24T20:00:00'],
    ['Asia/Shanghai', '2026-11-24T16:00:00', '2026-11-25T00:00:00'],
    ['Asia/Shanghai', '2026-12-31T15:59:59', '2026-12-31T23:59:59'],
    ['Asia/Kolkata', '2026-11-24T12:00:00', '2026-11-24T17:30:00'],
    ['UTC', '2026-11-24T12:00:00', '2026-11-24T12:00:00'],
    ['America/Los_Angeles', '2026-01-01T03:00:00', '2025-12-31T19:00:00'],
  ])('%s: %s UTC is %s', (zone, instant, local) => {
    expect(localTimeIn(zone)(utc(instant))).toBe(local);
  });

  it('follows daylight saving time (America/New_York): the hour skipped in March, the hour repeated in November', () => {
    const ny = localTimeIn('America/New_York');
    expect(ny(utc('2026-01-15T12:00:00'))).toBe('2026-01-15T07:00:00');
    expect(ny(utc('2026-07-15T12:00:00'))).toBe('2026-07-15T08:00:00');
    expect(ny(utc('2026-03-08T06:59:59'))).toBe('2026-03-08T01:59:59');
    expect(ny(utc('2026-03-08T07:00:00'))).toBe('2026-03-08T03:00:00');
    expect(ny(utc('2026-11-01T05:30:00'))).toBe('2026-11-01T01:30:00');
    expect(ny(utc('2026-11-01T06:30:00'))).toBe('2026-11-01T01:30:00');
  });

  it('keeps the milliseconds out and takes Dates and epoch numbers alike', () => {
    const shanghai = localTimeIn('Asia/Shanghai');
    expect(shanghai(utc('2026-11-24T12:00:00') + 999)).toBe('2026-11-24T20:00:00');
    expect(shanghai(new Date(utc('2026-11-24T12:00:00')))).toBe('2026-11-24T20:00:00');
  });

  it('turns stored UTC text into the wire zone once configured, and leaves empty values alone', () => {
    useTimeZone('America/New_York');
    expect(wireTime(utc('2026-07-15T12:00:00'))).toBe('2026-07-15T08:00:00');
    expect(wireTimeOfUtc('2026-07-15T12:00:00')).toBe('2026-07-15T08:00:00');
    useTimeZone('Asia/Shanghai');
    expect(wireTimeOfUtc('2026-07-15T12:00:00')).toBe('2026-07-15T20:00:00');
    expect(wireTimeOfUtc(null)).toBeNull();
    expect(wireTimeOfUtc(undefined)).toBeUndefined();
  });

  it('reads a wire time back as the instant it names, across daylight saving changes', () => {
    useTimeZone('America/New_York');
    expect(instantOfWireTime('2026-01-15T07:00:00')).toBe(utc('2026-01-15T12:00:00'));
    expect(instantOfWireTime('2026-07-15T00:00:00')).toBe(utc('2026-07-15T04:00:00'));
    expect(instantOfWireTime('2026-03-08T00:00:00')).toBe(utc('2026-03-08T05:00:00'));
    expect(instantOfWireTime('2026-03-09T00:00:00')).toBe(utc('2026-03-09T04:00:00'));
    useTimeZone('Asia/Shanghai');
    expect(instantOfWireTime('2026-11-25T00:00:00')).toBe(utc('2026-11-24T16:00:00'));
    for (const instant of [utc('2026-02-28T16:00:00'), utc('2026-12-31T23:59:59')]) expect(instantOfWireTime(wireTime(instant))).toBe(instant);
    expect(instantOfWireTime('yesterday')).toBeNaN();
  });
});

describe('wire times agree with Intl, without loading it', () => {
  const ZONES = [
    'Asia/Shanghai',
    'America/New_York',
    'Europe/London',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Pacific/Chatham',
    'America/St_Johns',
    'America/Sao_Paulo',
    'Asia/Kolkata',
    'Etc/GMT-8',
    'UTC',
  ];
  const intlTime = (zone: string) => {
    const format = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' });
    return (instant: number) => format.format(instant).replace(' ', 'T');
  };

  it('at any instant of 1980–2040, in zones with daylight saving, half and quarter hours', () => {
    const ours = new Map(ZONES.map((zone) => [zone, localTimeIn(zone)]));
    const theirs = new Map(ZONES.map((zone) => [zone, intlTime(zone)]));
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: utc('1980-01-01T00:00:00'), max: utc('2040-12-31T23:59:59') }), (zone, instant) => {
        expect(ours.get(zone)!(instant)).toBe(theirs.get(zone)!(instant));
      }),
      { numRuns: 5_000 },
    );
  });

  it('minute by minute through a day the clocks change, read back to the instant it names', () => {
    for (const [zone, day] of [
      ['America/New_York', '2026-03-08'],
      ['America/New_York', '2026-11-01'],
      ['Australia/Lord_Howe', '2026-04-04'],
    ] as const) {
      const ours = localTimeIn(zone);
      const theirs = intlTime(zone);
      useTimeZone(zone);
      for (let instant = utc(`${day}T00:00:00`); instant < utc(`${day}T23:59:59`); instant += 60_000) {
        expect(ours(instant), `${zone} ${new Date(instant).toISOString()}`).toBe(theirs(instant));
        const back = instantOfWireTime(ours(instant));
        expect(ours(back)).toBe(ours(instant));
      }
    }
    useTimeZone('Asia/Shanghai');
  });

  it('leaves the process time zone as it found it', () => {
    const before = process.env.TZ;
    try {
      for (const tz of [undefined, ':UTC', 'Europe/Paris']) {
        if (tz === undefined) delete process.env.TZ;
        else process.env.TZ = tz;
        localTimeIn('America/New_York')(utc('2031-05-05T05:05:05'));
        expect(process.env.TZ).toBe(tz);
      }
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('takes a name Intl resolves (alias, other letter case) as the zone it names', () => {
    expect(localTimeIn('asia/shanghai')(utc('2026-11-24T12:00:00'))).toBe('2026-11-24T20:00:00');
    expect(localTimeIn('Asia/Calcutta')(utc('2026-11-24T12:00:00'))).toBe('2026-11-24T17:30:00');
    expect(() => localTimeIn('Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('TIME_ZONE', () => {
  it.each(['Asia/Shanghai', 'UTC', 'America/New_York', 'Etc/GMT-8'])('%s is a zone', (zone) => {
    expect(isTimeZone(zone)).toBe(true);
  });

  it.each(['', '+08:00', 'GMT+8 ', 'Mars/Olympus_Mons', 'Asia/Shanghai; x', 'asia shanghai'])('%j is not', (zone) => {
    expect(isTimeZone(zone)).toBe(false);
  });

  it('defaults to Asia/Shanghai and refuses an unknown zone at start-up', () => {
    const env = { ...tableEnv('t'), JWT_SECRET: 's' };
    expect(readSettings(env).TIME_ZONE).toBe('Asia/Shanghai');
    expect(readSettings({ ...env, TIME_ZONE: 'Europe/Berlin' }).TIME_ZONE).toBe('Europe/Berlin');
    expect(() => readSettings({ ...env, TIME_ZONE: 'Asia/Beijing' })).toThrow('configuration: TIME_ZONE: not an IANA time zone');
  });
});
