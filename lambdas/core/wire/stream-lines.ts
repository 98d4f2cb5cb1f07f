import * as z from 'zod/mini';
import { runMetricsSchema } from './types.ts';

/**
 * The chat stream's lines, one JSON object each (snake_case keys, as the contract fixes
 * them): their schemas (the OpenAPI document, the test that checks real streams, the web
 * page's types) and the one function that writes them. A new line type is added here;
 * the compiler then points at every switch that must handle it, the page's included.
 */
export const streamLineSchemas = {
  meta: z.strictObject({ session_id: z.uuid(), type: z.literal('meta') }),
  run_info: z.strictObject({ run_id: z.uuid(), type: z.literal('run_info') }),
  reasoning: z.strictObject({ content: z.string(), type: z.literal('reasoning') }),
  content: z.strictObject({ content: z.string(), type: z.literal('content') }),
  metrics: z.strictObject({ metrics: runMetricsSchema, type: z.literal('metrics') }),
  error: z.strictObject({ error: z.string(), type: z.literal('error') }),
  /** Something the user should know that does not stop the run (a soft quota passed); RuoYi's page ignores unknown types. */
  notice: z.strictObject({ notice: z.string(), type: z.literal('notice') }),
};

const { meta, run_info, reasoning, content, metrics, error, notice } = streamLineSchemas;
export const streamLineSchema = z.discriminatedUnion('type', [meta, run_info, reasoning, content, metrics, error, notice]);
export type StreamLine = z.output<typeof streamLineSchema>;

/**
 * One line, `\n`-ended, keys in the contract's order. Assembled as a string: a token's
 * line costs one JSON.stringify of its text, not of an object.
 */
export const encodeLine = (line: StreamLine): string => {
  switch (line.type) {
    case 'meta':
      return `{"session_id":${JSON.stringify(line.session_id)},"type":"meta"}\n`;
    case 'run_info':
      return `{"run_id":${JSON.stringify(line.run_id)},"type":"run_info"}\n`;
    case 'reasoning':
    case 'content':
      return `{"content":${JSON.stringify(line.content)},"type":"${line.type}"}\n`;
    case 'metrics':
      return `{"metrics":${JSON.stringify(line.metrics)},"type":"metrics"}\n`;
    case 'error':
      return `{"error":${JSON.stringify(line.error)},"type":"error"}\n`;
    case 'notice':
      return `{"notice":${JSON.stringify(line.notice)},"type":"notice"}\n`;
    default:
      return line satisfies never;
  }
};
