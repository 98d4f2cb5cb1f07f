import { describe, expect, it } from 'vitest';
import { ledgerCsv } from '../../../../lambdas/core/usage/ledger-csv.ts';
import { microsText } from '../../../../lambdas/core/usage/prices.ts';
import type { LedgerRow } from '../../../../lambdas/core/usage/ledger-read.ts';

const row = (overrides: Partial<LedgerRow> = {}): LedgerRow => ({
  runId: '00000000-0000-4000-8000-000000000001',
  sessionId: '00000000-0000-4000-8000-000000000002',
  userId: 5,
  userName: 'chatter',
  deptId: 103,
  deptAncestors: ['100', '101'],
  modelId: 7,
  modelCode: 'gpt',
  modelName: 'GPT',
  provider: 'OpenAI',
  outcome: 'completed',
  source: 'provider',
  estimate: null,
  provenance: null,
  inputTokens: 10,
  outputTokens: 20,
  reasoningTokens: 0,
  cachedTokens: 0,
  totalTokens: 30,
  price: null,
  currency: 'CNY',
  costMicros: 1_234_567,
  startTime: '2026-11-24T20:00:00',
  endTime: '2026-11-24T20:00:05',
  ...overrides,
});

describe('the ledger as CSV', () => {
  it('money with its six places exactly', () => {
    expect(microsText(1_234_567)).toBe('1.234567');
    expect(microsText(5)).toBe('0.000005');
    expect(microsText(-1_500_000)).toBe('-1.500000');
  });

  it('a BOM, a header row, CRLF lines, local times with a space, the cost in the currency', () => {
    const csv = ledgerCsv([row()]);
    expect(csv.startsWith('\uFEFF运行ID,')).toBe(true);
    const [, line] = csv.slice(1).split('\r\n');
    expect(line).toContain(',2026-11-24 20:00:00,');
    expect(line!.endsWith(',CNY,1.234567')).toBe(true);
  });

  it('quotes separators and quotes, and defuses what a spreadsheet would run as a formula', () => {
    const [, line] = ledgerCsv([row({ userName: '=HYPERLINK("x"),a', modelName: '-2+3' })])
      .slice(1)
      .split('\r\n');
    expect(line).toContain(`,"'=HYPERLINK(""x""),a",`);
    expect(line).toContain(`,'-2+3,`);
  });
});
