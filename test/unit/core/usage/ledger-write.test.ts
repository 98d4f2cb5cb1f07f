import { describe, expect, it } from 'vitest';
import { useTimeZone } from '../../../../lambdas/core/time.ts';
import type { LedgerEntry } from '../../../../lambdas/core/usage/ledger-entry.ts';
import { ledgerEntry } from '../../../../lambdas/core/usage/ledger-entry.ts';
import { LEDGER_ENTRY_INDEX, ledgerWriteItems, MAX_DEPT_LEVELS } from '../../../../lambdas/core/usage/ledger-write.ts';
import type { Identity } from '../../../../lambdas/core/auth/identity.ts';
import type { StoredModel } from '../../../../lambdas/core/models/schema.ts';

useTimeZone('Asia/Shanghai');
const startedAt = Date.parse('2026-11-30T16:30:00Z');

const identity: Identity = {
  userId: '5',
  userName: 'chatter',
  deptId: '103',
  deptName: '研发部门',
  deptAncestors: ['0', '100', '101'],
  perms: [],
  roles: ['common'],
  dataScopes: ['3'],
  isAdmin: false,
};
const model = {
  modelId: 7,
  modelCode: 'gpt',
  modelName: 'GPT',
  provider: 'OpenAI',
  prices: [{ currency: 'CNY', inputMicros: 2_000_000, outputMicros: 8_000_000, effectiveFrom: 0 }],
} as unknown as StoredModel;

const entry = (overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  ...ledgerEntry({
    run: { runId: 'r1', sessionId: 's1', status: 'cancelled', startedAt, finishedAt: startedAt + 5_000 },
    identity,
    model,
    usage: { inputTokens: 100, outputTokens: 50, totalTokens: 150, reasoningTokens: 0, cacheReadTokens: 0, source: 'estimated', estimate: 'streamed-text' },
    reservations: [],
  }),
  ...overrides,
});

const updates = (items: ReturnType<typeof ledgerWriteItems>) => items.flatMap((i) => (i.Update ? [i.Update] : []));

describe('the usage items of a final write', () => {
  it('puts the entry first, on condition that it is not there, in the partition of the day its run started (TIME_ZONE)', () => {
    const items = ledgerWriteItems('t', entry());
    const put = items[LEDGER_ENTRY_INDEX]!.Put!;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.Item).toMatchObject({ pk: 'USAGE#2026-12-01', runId: 'r1', costMicros: 600, deptAncestors: ['100', '101'], outcome: 'cancelled' });
  });

  it('counts for the user, the department and each ancestor, the model and everything, by day and month', () => {
    const keys = updates(ledgerWriteItems('t', entry())).map((u) => `${u.Key!.pk} ${u.Key!.sk}`);
    expect(keys).toEqual([
      'CNT#D#2026-12-01#U 5',
      'CNT#M#2026-12#U 5',
      'CNT#D#2026-12-01#D 100',
      'CNT#M#2026-12#D 100',
      'CNT#D#2026-12-01#D 101',
      'CNT#M#2026-12#D 101',
      'CNT#D#2026-12-01#D 103',
      'CNT#M#2026-12#D 103',
      'CNT#D#2026-12-01#M 7',
      'CNT#M#2026-12#M 7',
      'CNT#D#2026-12-01#A *',
      'CNT#M#2026-12#A *',
    ]);
  });

  it('adds the run’s figures atomically, and settles what its send reserved on that counter only', () => {
    const reserved = { key: { pk: 'CNT#D#2026-12-01#U', sk: '5' }, tokens: 4000, cost: { CNY: 32_000 } };
    const [user, ...rest] = updates(ledgerWriteItems('t', entry({ reservations: [reserved] })));
    expect(user!.UpdateExpression).toMatch(/^SET .* ADD runs :one, #outcome :one, estimatedRuns :estimated/);
    expect(user!.ExpressionAttributeNames).toMatchObject({
      '#outcome': 'cancelledRuns',
      '#held': 'heldTokens',
      '#cost0': 'cost#CNY',
      '#heldCost0': 'heldCost#CNY',
    });
    expect(user!.ExpressionAttributeValues).toMatchObject({ ':total': 150, ':held': 150 - 4000, ':cost0': 600, ':heldCost0': 600 - 32_000, ':estimated': 1 });
    for (const other of rest) expect(other.ExpressionAttributeValues).toMatchObject({ ':held': 150, ':heldCost0': 600 });
  });

  it('keeps each department’s own ancestors, for scope 4 on its counter', () => {
    const depts = updates(ledgerWriteItems('t', entry())).filter((u) => String(u.Key!.pk).endsWith('#D') && String(u.Key!.pk).startsWith('CNT#D#'));
    expect(depts.map((u) => Object.values(u.ExpressionAttributeValues!).find(Array.isArray))).toEqual([[], ['100'], ['100', '101']]);
  });

  it('is the same for the same entry, so a replay carries exactly the first write', () => {
    expect(ledgerWriteItems('t', entry())).toEqual(ledgerWriteItems('t', entry()));
  });

  it('stays inside a transaction beside the run’s own three items, however deep the department', () => {
    const deep = entry({ deptAncestors: Array.from({ length: 80 }, (_, i) => String(200 + i)) });
    const items = ledgerWriteItems('t', deep);
    expect(items.length).toBe(1 + 2 * (1 + MAX_DEPT_LEVELS + 2));
    expect(items.length + 3).toBeLessThanOrEqual(100);
  });

  it('an unpriced model costs nothing and adds no cost attribute', () => {
    const free = ledgerEntry({
      run: { runId: 'r2', sessionId: 's1', status: 'completed', startedAt, finishedAt: startedAt },
      identity,
      model: { ...model, prices: [] },
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2, reasoningTokens: 0, cacheReadTokens: 0, source: 'provider' },
      reservations: [],
    });
    expect(free.costMicros).toBe(0);
    expect(JSON.stringify(updates(ledgerWriteItems('t', free)))).not.toContain('cost#');
  });
});
