import { randomUUID } from 'node:crypto';

/**
 * A standard SQS queue in memory, as the SQS Developer Guide describes one, for the local
 * stack and the tests (SQS cannot run here):
 * - at-least-once: a received message stays in the queue, invisible for the visibility
 *   timeout; not deleted by then, it is received again, with a new receipt handle and
 *   its ApproximateReceiveCount one higher. A message may also be delivered twice
 *   (`duplicateChance`), as a standard queue occasionally does.
 * - a delete needs the latest receipt handle: an older one "succeeds" without deleting.
 * - ChangeMessageVisibility sets the timeout anew, from now, for the latest receipt.
 * - redrive: a message whose receive count reached maxReceiveCount is moved to the
 *   dead-letter queue on the next receive instead of being delivered.
 * - retention: a message older than the retention period is dropped.
 * - long polling: a receive waits up to `waitMs` for a message to become visible.
 */
export interface SqsQueueOptions {
  name: string;
  visibilityTimeoutMs: number;
  retentionMs?: number;
  redrive?: { deadLetterQueue: SqsQueue; maxReceiveCount: number };
  /** Chance, per receive, that a message stays visible and is delivered once more. */
  duplicateChance?: number;
  random?: () => number;
  now?: () => number;
}

export interface SqsMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount: string; SentTimestamp: string; ApproximateFirstReceiveTimestamp: string };
}

interface Held {
  messageId: string;
  body: string;
  sentAt: number;
  firstReceivedAt?: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
}

const DEFAULT_RETENTION_MS = 4 * 24 * 3600_000;
const POLL_STEP_MS = 20;

export class SqsQueue {
  readonly name: string;
  private readonly messages = new Map<string, Held>();
  private readonly options: SqsQueueOptions;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: SqsQueueOptions) {
    this.name = options.name;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  send(body: string): string {
    const messageId = randomUUID();
    const at = this.now();
    this.messages.set(messageId, { messageId, body, sentAt: at, receiveCount: 0, visibleAt: at });
    return messageId;
  }

  /** Up to `max` (1–10) visible messages, waiting up to `waitMs` for one. */
  async receive(max = 1, waitMs = 0): Promise<SqsMessage[]> {
    const until = this.now() + waitMs;
    for (;;) {
      const got = this.take(Math.min(10, Math.max(1, max)));
      if (got.length || this.now() >= until) return got;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_STEP_MS, until - this.now())));
    }
  }

  private take(max: number): SqsMessage[] {
    const at = this.now();
    const out: SqsMessage[] = [];
    for (const held of [...this.messages.values()]) {
      if (out.length >= max) break;
      if (at - held.sentAt >= (this.options.retentionMs ?? DEFAULT_RETENTION_MS)) {
        this.messages.delete(held.messageId);
        continue;
      }
      if (held.visibleAt > at) continue;
      const { redrive } = this.options;
      if (redrive && held.receiveCount >= redrive.maxReceiveCount) {
        this.messages.delete(held.messageId);
        redrive.deadLetterQueue.send(held.body);
        continue;
      }
      held.receiveCount += 1;
      held.firstReceivedAt ??= at;
      held.receiptHandle = randomUUID();
      const duplicate = (this.options.duplicateChance ?? 0) > this.random();
      held.visibleAt = duplicate ? at : at + this.options.visibilityTimeoutMs;
      out.push({
        messageId: held.messageId,
        receiptHandle: held.receiptHandle,
        body: held.body,
        attributes: {
          ApproximateReceiveCount: String(held.receiveCount),
          SentTimestamp: String(held.sentAt),
          ApproximateFirstReceiveTimestamp: String(held.firstReceivedAt),
        },
      });
    }
    return out;
  }

  delete(receiptHandle: string): void {
    for (const held of this.messages.values()) {
      if (held.receiptHandle === receiptHandle) this.messages.delete(held.messageId);
    }
  }

  changeVisibility(receiptHandle: string, timeoutMs: number): void {
    for (const held of this.messages.values()) {
      if (held.receiptHandle === receiptHandle) held.visibleAt = this.now() + timeoutMs;
    }
  }

  /** ApproximateNumberOfMessages (visible) and ApproximateNumberOfMessagesNotVisible (in flight). */
  depth(): { visible: number; inFlight: number } {
    const at = this.now();
    let visible = 0;
    for (const held of this.messages.values()) if (held.visibleAt <= at) visible++;
    return { visible, inFlight: this.messages.size - visible };
  }

  /** The bodies of every message still held, visible or not (what an operator would redrive from a DLQ). */
  bodies(): string[] {
    return [...this.messages.values()].map((held) => held.body);
  }
}
