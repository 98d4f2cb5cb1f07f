import { describe, expect, it } from 'vitest';
import { coverRange, daysBetween, periodEnd, periodOf } from '../../../../lambdas/core/usage/periods.ts';
import { dayRange } from '../../../../lambdas/core/usage/range.ts';
import { instantOfWireTime, useTimeZone } from '../../../../lambdas/core/time.ts';

const utc = (text: string) => Date.parse(`${text}Z`);

describe('periods of TIME_ZONE', () => {
  it('a day and a month are the wire zone’s, not UTC’s', () => {
    useTimeZone('Asia/Shanghai');
    expect(periodOf('day', utc('2026-11-30T16:30:00'))).toBe('2026-12-01');
    expect(periodOf('month', utc('2026-11-30T16:30:00'))).toBe('2026-12');
    expect(periodOf('day', utc('2026-11-30T15:59:59'))).toBe('2026-11-30');
  });

  it('ends at the next midnight, across months and years', () => {
    expect(periodEnd('day', '2026-11-30')).toBe('2026-12-01T00:00:00');
    expect(periodEnd('day', '2028-02-28')).toBe('2028-02-29T00:00:00');
    expect(periodEnd('month', '2026-12')).toBe('2027-01-01T00:00:00');
    expect(periodEnd('month', '2026-02')).toBe('2026-03-01T00:00:00');
  });

  it('covers a range with whole months and the days at its ends, summing to every day once', () => {
    const cover = coverRange('2026-01-30', '2026-04-02');
    expect(cover.months).toEqual(['2026-02', '2026-03']);
    expect(cover.days).toEqual(['2026-01-30', '2026-01-31', '2026-04-01', '2026-04-02']);
    expect(coverRange('2026-03-01', '2026-03-31')).toEqual({ months: ['2026-03'], days: [] });
    expect(coverRange('2026-03-01', '2026-03-30').months).toEqual([]);
    const covered = [...cover.days, ...cover.months.flatMap((m) => daysBetween(`${m}-01`, periodEnd('month', m).slice(0, 10)).slice(0, -1))];
    expect(covered.sort()).toEqual(daysBetween('2026-01-30', '2026-04-02'));
  });

  it('a query’s range: defaults, order, bounds and days that do not exist', () => {
    const now = utc('2026-11-24T04:00:00');
    expect(dayRange({}, { days: 'month', maxDays: 366 }, now)).toEqual({ first: '2026-11-01', last: '2026-11-24' });
    expect(dayRange({}, { days: 7, maxDays: 92 }, now)).toEqual({ first: '2026-11-18', last: '2026-11-24' });
    expect(() => dayRange({ beginTime: '2026-11-25', endTime: '2026-11-24' }, { days: 7, maxDays: 92 }, now)).toThrow('不能晚于');
    expect(() => dayRange({ beginTime: '2026-01-01', endTime: '2026-12-31' }, { days: 7, maxDays: 92 }, now)).toThrow('92');
    expect(() => dayRange({ beginTime: '2026-02-30' }, { days: 7, maxDays: 92 }, now)).toThrow('有效日期');
  });
});

describe('wire times back to instants', () => {
  it('inverts the wire format, in any zone, daylight saving included', () => {
    for (const zone of ['Asia/Shanghai', 'UTC', 'America/New_York', 'Asia/Kolkata']) {
      useTimeZone(zone);
      for (const at of [utc('2026-01-15T12:00:00'), utc('2026-07-15T03:30:00'), utc('2026-03-08T07:00:00')]) {
        const local = new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' }).format(at).replace(' ', 'T');
        expect(instantOfWireTime(local), `${zone} ${local}`).toBe(at);
      }
    }
    useTimeZone('Asia/Shanghai');
  });
});
