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
