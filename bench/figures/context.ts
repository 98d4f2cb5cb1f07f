import type OpenAI from 'openai';
import type { ModelProcess, StackProcess } from '../harness/processes.ts';

/** What every figure gets: the running stack, the model server, and the baseline client. */
export interface BenchContext {
  stack: StackProcess;
  model: ModelProcess;
  direct: OpenAI;
  /** Prints progress on stderr, so stdout carries only the table. */
  progress(message: string): void;
}
