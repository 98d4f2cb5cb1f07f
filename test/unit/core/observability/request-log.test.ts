import { describe, expect, it } from 'vitest';
import { createRequestLog } from '../../../../lambdas/core/observability/request-log.ts';

/** The shared logger's side: each line as it was handed over. */
const recorder = () => {
  const lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, attributes: Record<string, unknown>) => lines.push({ level, message, attributes });
  return { lines, base: { info: at('info'), warn: at('warn'), error: at('error') } as never };
};

describe('request log', () => {
  it("puts each request's keys on its own lines only, however requests interleave", () => {
    const { lines, base } = recorder();
    const a = createRequestLog(base);
    const b = createRequestLog(base);
    a.appendKeys({ userId: '1' });
    b.appendKeys({ userId: '2', sessionId: 's2' });
    a.appendKeys({ runId: 'r1' });
    a.info('run finished', { durationMs: 5 });
    b.warn('run stopped');
    expect(lines).toEqual([
      { level: 'info', message: 'run finished', attributes: { durationMs: 5, userId: '1', runId: 'r1' } },
      { level: 'warn', message: 'run stopped', attributes: { userId: '2', sessionId: 's2' } },
    ]);
  });

  it('hands an error on under `error`, beside the keys', () => {
    const { lines, base } = recorder();
    const log = createRequestLog(base);
    log.appendKeys({ userId: '1' });
    const err = new Error('boom');
    log.error('chat stream failed to start', err);
    expect(lines).toEqual([{ level: 'error', message: 'chat stream failed to start', attributes: { error: err, userId: '1' } }]);
  });
});
