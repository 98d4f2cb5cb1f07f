import type { DbAction, DbCall, DbProxy } from '../../../support/db-proxy.ts';
import { DYNAMODB_ERRORS } from '../../../support/dynamodb-errors.ts';
import { type Random, seeded } from './random.ts';

/** Operations that change an item. */
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

/** The transaction that stores a finished run: the only call holding a `RUN#` item. */
export const isFinalWrite = (call: DbCall): boolean => call.operation === 'TransactWriteItems' && call.body.includes('"S":"RUN#');

const transactionItems = (call: DbCall) => (call.body.match(/"(Put|Update|Delete|ConditionCheck)":\{/g) ?? []).length;

/** A throttle as DynamoDB answers it for this call: a cancelled transaction for a transaction, else one of its two throttling errors. */
const throttle = (random: Random, call: DbCall): DbAction =>
  call.operation === 'TransactWriteItems'
    ? DYNAMODB_ERRORS.transactionThrottled(Math.max(1, transactionItems(call)))
    : random.pick([DYNAMODB_ERRORS.throttling, DYNAMODB_ERRORS.provisionedThroughput]);

/** Any of the failures a write can meet: throttled, a server error, a connection reset before or after DynamoDB applied it. */
const anyFailure = (random: Random, call: DbCall): DbAction =>
  random.pick<() => DbAction>([() => throttle(random, call), () => DYNAMODB_ERRORS.internalServerError, () => 'reset', () => 'apply then reset'])();

/** Sizes of a schedule, so the short suite and `npm run chaos` run the same schedules at different lengths. */
export interface ScheduleScale {
  /** How long DynamoDB stays unreachable in the outage schedule. */
  outageMs: number;
  /** When, after the schedule's first chat, the outage begins. */
  outageAfterMs: number;
}

/** Faults under way on the proxy. */
export interface Faults {
  /** Ends them: DynamoDB answers normally again. */
  stop(): Promise<void>;
  /** Calls answered with a fault so far (for the outage: the outages begun). */
  injected(): number;
}

export interface Schedule {
  name: string;
  /** What it checks, for docs/faults.md and the report. */
  checks: string;
  start(proxy: DbProxy, scale: ScheduleScale): Faults;
}

const faulty = (proxy: DbProxy, decide: (call: DbCall, at: number) => DbAction): Faults => {
  let injected = 0;
  proxy.setFault((call) => {
    const action = decide(call, Date.now());
    if (action !== 'pass') injected++;
    return action;
  });
  return { stop: async () => proxy.setFault(() => 'pass'), injected: () => injected };
};

/** Slow storage: p50 +300 ms, a long tail (log-normal, sigma 0.6), every call. */
const slowDelay = (random: Random) => Math.round(300 * Math.exp(0.6 * gaussian(random)));

const gaussian = (random: Random) => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());

export const schedules = (seed: number): Schedule[] => [
  {
    name: 'throttled-10',
    checks:
      '10 % of all calls throttled (ThrottlingException, ProvisionedThroughputExceeded, transactions cancelled for a throttled item): retried within the budget, nothing lost or double-counted',
    start: (proxy) => {
      const random = seeded(seed + 1);
      return faulty(proxy, (call) => (random.chance(0.1) ? throttle(random, call) : 'pass'));
    },
  },
  {
    name: 'write-bursts',
    checks:
      'bursts of 1–3 s every 3–8 s in which every write fails (throttles, 500s, resets before and after applying): the start, stops, the final store ride them out',
    start: (proxy) => {
      const random = seeded(seed + 2);
      let burstEnd = 0;
      let nextBurst = Date.now() + random.int(500, 3_000);
      return faulty(proxy, (call, at) => {
        if (at >= nextBurst) {
          burstEnd = at + random.int(1_000, 3_000);
          nextBurst = burstEnd + random.int(3_000, 8_000);
        }
        return at < burstEnd && WRITES.has(call.operation) ? anyFailure(random, call) : 'pass';
      });
    },
  },
  {
    name: 'slow',
    checks: 'every call slower by p50 300 ms (long tail): runs take longer, none is given up, cancel still answers after the store',
    start: (proxy) => {
      const random = seeded(seed + 3);
      return faulty(proxy, () => ({ delayMs: slowDelay(random), then: 'pass' }));
    },
  },
  {
    name: 'resets-5',
    checks:
      '5 % of calls reset, half before DynamoDB saw them and half after it applied them (answer lost): retries with the same token, read-backs, no write applied twice',
    start: (proxy) => {
      const random = seeded(seed + 4);
      return faulty(proxy, () => (random.chance(0.05) ? random.pick<DbAction>(['reset', 'apply then reset']) : 'pass'));
    },
  },
  {
    name: 'final-writes',
    checks:
      "faults on runs' final writes only: each run's store meets a scripted sequence (the answer lost after DynamoDB applied it, then a throttled cancel, so the retry has a new token and must read back; resets and 500s; throttles), nothing else fails",
    start: (proxy) => {
      const random = seeded(seed + 5);
      const scripts: (() => DbAction[])[] = [
        () => ['apply then reset', DYNAMODB_ERRORS.transactionThrottled(3)],
        () => ['reset', DYNAMODB_ERRORS.internalServerError],
        () => [DYNAMODB_ERRORS.transactionThrottled(3), DYNAMODB_ERRORS.throttling],
        () => ['apply then reset'],
        () => [],
      ];
      const pending = new Map<string, DbAction[]>();
      return faulty(proxy, (call) => {
        if (!isFinalWrite(call)) return 'pass';
        const runId = /"S":"RUN#\d+#([0-9a-f-]{36})"/.exec(call.body)?.[1] ?? '';
        if (!pending.has(runId)) pending.set(runId, random.pick(scripts)());
        return pending.get(runId)!.shift() ?? 'pass';
      });
    },
  },
  {
    name: 'outage',
    checks:
      'DynamoDB unreachable (connections refused, those in flight dropped) for 60 s (npm run chaos; a few seconds in npm test) across the end of several runs: their replies kept and stored by the drain within a minute of DynamoDB answering again; sends and stops meanwhile refused as storage unavailable',
    start: (proxy, scale) => {
      let restored: Promise<void> | undefined;
      let outages = 0;
      const cut = setTimeout(() => {
        outages++;
        void proxy.cut();
      }, scale.outageAfterMs);
      const restore = setTimeout(() => {
        restored = proxy.restore();
      }, scale.outageAfterMs + scale.outageMs);
      return {
        async stop() {
          clearTimeout(cut);
          clearTimeout(restore);
          await restored;
          await proxy.restore();
        },
        injected: () => outages,
      };
    },
  },
];
