/**
 * Wire shapes from the API contract, as the page reads and sends them: each the type of the
 * schema the service parses with or the OpenAPI test checks its answers against. Type
 * imports only: esbuild drops them, so no zod reaches the page's bundle.
 */
import type * as z from 'zod/mini';
import type { chatRequestSchema } from '../../lambdas/core/chat/1-accept/request-schema.ts';
import type { chatConfigInputSchema } from '../../lambdas/core/configs/schema.ts';
import type { quotaInputSchema, quotaListQuerySchema, quotaUpdateSchema } from '../../lambdas/core/quotas/schema.ts';
import type { ledgerExportSchema, usageSummaryQuerySchema } from '../../lambdas/core/usage/query-schema.ts';
import type { RunMetrics, UploadTicket } from '../../lambdas/core/wire/types.ts';
import type {
  chatConfigSchema,
  modelSchema,
  modelTestResultSchema,
  myUsageSchema,
  quotaSchema,
  sessionDetailSchema,
  sessionListItemSchema,
  usageSummarySchema,
} from '../../lambdas/core/wire/responses.ts';
import type { streamLineSchema } from '../../lambdas/core/wire/stream-lines.ts';

export type { RunMetrics, UploadTicket };

/**
 * The page shows what a stored session or config holds rather than failing the whole view:
 * the fields it reads with a fallback (`?? ''`, `?? []`) may be null to it.
 */
type OrNull<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] | null };

/** An item of `GET /ai/model/all`. */
export type ChatModel = z.output<typeof modelSchema>;

/** `data` of `POST /ai/model/test`. */
export type ModelTestResult = z.output<typeof modelTestResultSchema>;

/** `GET /ai/chat/config`. */
export type ChatConfig = OrNull<z.output<typeof chatConfigSchema>, 'systemPrompt' | 'userId'>;

/** RuoYi flags: '0' means yes/enabled, '1' means no. */
export type Flag = ChatConfig['visionEnabled'];

/** The config form's `PUT /ai/chat/config` body; the service ignores the read-only fields sent back with it. */
export type ChatConfigUpdate = z.input<typeof chatConfigInputSchema>;

/** An item of `GET /ai/chat/session/list`. */
export type SessionItem = OrNull<z.output<typeof sessionListItemSchema>, 'updatedAt'>;

type Detail = z.output<typeof sessionDetailSchema>;

export type SessionMessage = OrNull<Detail['messages'][number], 'content' | 'images'>;

/** `GET /ai/chat/session/{sessionId}`. */
export type SessionDetail = Omit<Detail, 'messages'> & { messages: SessionMessage[] };

/** The chat stream's request body. */
export type StreamRequest = z.input<ReturnType<typeof chatRequestSchema>>;

/** One NDJSON line of the chat stream (snake_case keys, as on the wire). */
export type StreamEvent = z.output<typeof streamLineSchema>;

/** A paged list's answer: `rows` and `total` at the envelope's top level. */
export interface Page<T> {
  rows: T[];
  total: number;
}

/** `GET /ai/usage/summary`: its query and its `data`. */
export type UsageSummaryQuery = z.input<typeof usageSummaryQuerySchema>;
export type UsageSummary = z.output<typeof usageSummarySchema>;
export type UsageRow = UsageSummary['rows'][number];
export type UsageFigures = UsageSummary['total'];

/** `POST /ai/usage/export`: the ledger's filters. */
export type LedgerFilter = z.input<typeof ledgerExportSchema>;

/** `GET /ai/usage/my`: the caller's own use and the quotas that apply to them. */
export type MyUsage = z.output<typeof myUsageSchema>;
export type QuotaStanding = MyUsage['quotas'][number];

/** A row of `GET /ai/quota/list`, and what the editor sends to add or change one. */
export type Quota = z.output<typeof quotaSchema>;
export type QuotaListQuery = z.input<typeof quotaListQuerySchema>;
export type QuotaInput = z.input<typeof quotaInputSchema>;
export type QuotaUpdate = z.input<typeof quotaUpdateSchema>;
