import { Readable } from 'node:stream';
import type { RunMetrics } from '../sessions/types.ts';
import { encodeLine } from '../wire/stream-lines.ts';

/** Lines the client has not taken yet, past which the run stops reading its provider. */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * The response body of a run: one JSON object per line. The lines produced in one turn
 * of the event loop go out as one write at its end: a token that arrives alone leaves
 * at once, while a burst the provider sent in one packet costs one write (and one
 * chunk on the wire) instead of one per token. Each line is written by the contract's
 * encoder (wire/stream-lines.ts). Once the consumer is gone (client disconnected, the
 * pipe destroyed the body) writes are dropped and `onGone` fires once. The run reads its provider only as fast as the client takes lines:
 * `demand` says when the lines not yet taken reach the body's high-water mark.
 */
export class RunStream {
  readonly body = new Readable({ highWaterMark: HIGH_WATER_BYTES, read: () => this.resume() });
  private ended = false;
  private gone = false;
  private errored = false;
  private goneListener?: () => void;
  private pending = '';
  private flushing = false;
  private waiting?: { promise: Promise<void>; resolve: () => void };

  constructor() {
    this.body.on('error', () => {});
    this.body.on('close', () => {
      this.resume();
      if (this.ended) return;
      this.gone = true;
      this.goneListener?.();
    });
  }

  /**
   * Resolves once the client takes more lines; undefined while it keeps up (or is gone,
   * or the stream ended: nothing is waited for then). Lines not yet flushed count too.
   */
  demand(): Promise<void> | undefined {
    if (this.gone || this.ended) return undefined;
    if (this.body.readableLength + this.pending.length < this.body.readableHighWaterMark) return undefined;
    if (!this.waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  /** The body asked for more (or closed): whoever waits on `demand` goes on. */
  private resume(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }

  /** Calls `listener` when the client goes away before the run ended the stream. */
  onGone(listener: () => void): void {
    this.goneListener = listener;
    if (this.gone) listener();
  }

  get clientGone(): boolean {
    return this.gone;
  }

  private push(line: string): void {
    if (this.gone || this.ended) return;
    this.pending += line;
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Sends the pending lines now rather than at the end of this turn (the run is about to do slower work). */
  flush(): void {
    this.flushing = false;
    if (this.pending && !this.gone && !this.ended) this.body.push(this.pending);
    this.pending = '';
  }

  meta(sessionId: string): void {
    this.push(encodeLine({ type: 'meta', session_id: sessionId }));
  }

  runInfo(runId: string): void {
    this.push(encodeLine({ type: 'run_info', run_id: runId }));
  }

  reasoning(text: string): void {
    this.push(encodeLine({ type: 'reasoning', content: text }));
  }

  content(text: string): void {
    this.push(encodeLine({ type: 'content', content: text }));
  }

  metrics(metrics: RunMetrics): void {
    this.push(encodeLine({ type: 'metrics', metrics }));
  }

  notice(text: string): void {
    this.push(encodeLine({ type: 'notice', notice: text }));
  }

  /** At most one error line per run: the client shows it and stops. */
  error(message: string): void {
    if (this.errored) return;
    this.errored = true;
    this.push(encodeLine({ type: 'error', error: message }));
  }

  get hasError(): boolean {
    return this.errored;
  }

  end(): void {
    if (this.ended || this.gone) return;
    this.flush();
    this.ended = true;
    this.body.push(null);
    this.resume();
  }
}
