import { wireTime } from '../time.ts';

/**
 * Usage is counted by day and by month of the wire zone (TIME_ZONE), as RuoYi's people read
 * their calendar. A run counts in the periods it started in: the send was checked against
 * them, and the start never changes when a run's end is written again.
 */
export type PeriodKind = 'day' | 'month';

export const PERIOD_KINDS: readonly PeriodKind[] = ['day', 'month'];

/** `2026-11-24` or `2026-11`: the period of `kind` an instant falls in. */
export const periodOf = (kind: PeriodKind, instant: number): string => wireTime(instant).slice(0, kind === 'day' ? 10 : 7);

const dayText = (date: Date) => date.toISOString().slice(0, 10);
const dayDate = (day: string) => new Date(`${day}T00:00:00Z`);

/** The day after `day` (calendar arithmetic, no zone involved). */
export const nextDay = (day: string): string => {
  const date = dayDate(day);
  date.setUTCDate(date.getUTCDate() + 1);
  return dayText(date);
};

/** When a period ends and the next begins, as a wire time: midnight of the next day, or of the next month's first. */
export const periodEnd = (kind: PeriodKind, period: string): string => {
  if (kind === 'day') return `${nextDay(period)}T00:00:00`;
  const [year, month] = period.split('-').map(Number) as [number, number];
  return `${dayText(new Date(Date.UTC(year, month, 1)))}T00:00:00`;
};

/** Every day from `first` to `last`, both included. */
export const daysBetween = (first: string, last: string): string[] => {
  const days: string[] = [];
  for (let day = first; day <= last; day = nextDay(day)) days.push(day);
  return days;
};

export interface RangeCover {
  /** Months wholly inside the range: read as one counter each. */
  months: string[];
  /** The days at either end that make no whole month. */
  days: string[];
}

/**
 * The fewest counters that sum to a range of days: its whole months as month counters,
 * the days left at its ends as day counters (at most 60 of them, whatever the range).
 */
export const coverRange = (first: string, last: string): RangeCover => {
  const cover: RangeCover = { months: [], days: [] };
  let day = first;
  while (day <= last) {
    const month = day.slice(0, 7);
    const nextMonthFirst = periodEnd('month', month).slice(0, 10);
    const wholeMonth = day.endsWith('-01') && nextDay(last) >= nextMonthFirst;
    if (wholeMonth) {
      cover.months.push(month);
      day = nextMonthFirst;
    } else {
      cover.days.push(day);
      day = nextDay(day);
    }
  }
  return cover;
};
