import { describe, expect, it, vi } from 'vitest';

process.env.POWERTOOLS_SERVICE_NAME = 'ai-chat-stream-test';
delete process.env.POWERTOOLS_METRICS_DISABLED;
delete process.env.POWERTOOLS_DEV;
const { reportMonthCost } = await import('../../../../lambdas/core/usage/month-cost.ts');
const { useTimeZone } = await import('../../../../lambdas/core/time.ts');

describe('the month’s cost for the cost alarm', () => {
  it('reads the month counter of everything the run counted in and reports each currency’s cost in its units', async () => {
    useTimeZone('Asia/Shanghai');
    const get = vi.fn(async () => ({ Item: { pk: 'x', sk: '*', runs: 9, 'cost#CNY': 12_500_000, 'cost#USD': 3, heldCost: 1 } }));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await reportMonthCost({ db: { get }, tables: { sessions: 'sessions' } } as never, Date.parse('2026-11-30T16:30:00Z'));
      expect(get).toHaveBeenCalledWith({ TableName: 'sessions', Key: { pk: 'CNT#M#2026-12#A', sk: '*' } });
      const emitted = write.mock.calls.map(([chunk]) => JSON.parse(String(chunk)) as Record<string, unknown>);
      expect(emitted.map((line) => [line.currency, line.MonthToDateCost])).toEqual([
        ['CNY', 12.5],
        ['USD', 0.000003],
      ]);
    } finally {
      write.mockRestore();
    }
  });
});
