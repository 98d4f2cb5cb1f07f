import { describe, expect, it } from 'vitest';
import { createRecentRuns, type RecentRun } from '../../lambdas/core/chat/recent-runs.ts';
import { defaultChatConfig } from '../../lambdas/core/configs/schema.ts';
import type { StoredModel } from '../../lambdas/core/models/schema.ts';

const run = (modelId: number): RecentRun => ({
  model: { modelId, modelCode: `m${modelId}` } as StoredModel,
  config: defaultChatConfig('1'),
});

describe('recent runs', () => {
  it('answers per user and model until the entry is older than the ttl', () => {
    let now = 1_000;
    const recent = createRecentRuns(60_000, () => now);
    recent.remember('1', run(7));
    expect(recent.lookup('1', 7)?.model.modelCode).toBe('m7');
    expect(recent.lookup('1', 8)).toBeUndefined();
    expect(recent.lookup('2', 7)).toBeUndefined();
    now += 60_000;
    expect(recent.lookup('1', 7)).toBeDefined();
    now += 1;
    expect(recent.lookup('1', 7)).toBeUndefined();
  });

  it('keeps each model’s own time: a newer run with another model does not refresh an old one', () => {
    let now = 0;
    const recent = createRecentRuns(100, () => now);
    recent.remember('1', run(7));
    now = 80;
    recent.remember('1', run(8));
    now = 150;
    expect(recent.lookup('1', 7)).toBeUndefined();
    expect(recent.lookup('1', 8)).toBeDefined();
  });

  it('forgets every model of a user at once', () => {
    const recent = createRecentRuns(60_000);
    recent.remember('1', run(7));
    recent.remember('1', run(8));
    recent.remember('2', run(7));
    recent.forget('1');
    expect(recent.lookup('1', 7)).toBeUndefined();
    expect(recent.lookup('1', 8)).toBeUndefined();
    expect(recent.lookup('2', 7)).toBeDefined();
  });

  it('drops the least recently active user past 500 users', () => {
    const recent = createRecentRuns(60_000);
    for (let user = 0; user < 500; user++) recent.remember(String(user), run(1));
    recent.remember('0', run(1));
    recent.remember('500', run(1));
    expect(recent.lookup('0', 1), 'active again, so kept').toBeDefined();
    expect(recent.lookup('1', 1), 'the oldest one left').toBeUndefined();
    expect(recent.lookup('500', 1)).toBeDefined();
  });

  it('holds the history of the user’s last session only, while fresh', () => {
    let now = 0;
    const recent = createRecentRuns(100, () => now);
    const turns = [{ userMessage: 'q', content: 'a' }];
    recent.rememberSession('1', 's1', turns);
    expect(recent.sessionHistory('1', 's1')).toEqual(turns);
    expect(recent.sessionHistory('1', 's2')).toBeUndefined();
    expect(recent.sessionHistory('2', 's1')).toBeUndefined();
    recent.rememberSession('1', 's2', []);
    expect(recent.sessionHistory('1', 's1'), 'replaced by the newer session').toBeUndefined();
    expect(recent.sessionHistory('1', 's2')).toEqual([]);
    now = 101;
    expect(recent.sessionHistory('1', 's2')).toBeUndefined();
  });

  it('does not hold a history longer than 100,000 characters', () => {
    const recent = createRecentRuns(60_000);
    recent.rememberSession('1', 's1', [{ userMessage: 'q', content: 'a' }]);
    recent.rememberSession('1', 's1', [{ userMessage: 'q', content: 'x'.repeat(100_000) }]);
    expect(recent.sessionHistory('1', 's1')).toBeUndefined();
  });
});
