/** Wire shapes from the API contract, as the page reads them; those the service defines as schemas come from there. */
import type { RunMetrics, UploadTicket } from '../../lambdas/core/http/wire-types.ts';

export type { RunMetrics, UploadTicket };

/** RuoYi flags: '0' means yes/enabled, '1' means no. */
export type Flag = '0' | '1';

export interface ChatModel {
  modelId: number;
  modelCode: string;
  modelName: string | null;
  provider: string;
  supportReasoning: 'Y' | 'N' | null;
  supportImages: 'Y' | 'N' | null;
}

export interface ChatConfig {
  chatConfigId: number | null;
  userId: string | number | null;
  temperature: number | null;
  addHistoryToContext: Flag;
  numHistoryRuns: number;
  systemPrompt: string | null;
  metricsDefaultVisible: Flag;
  visionEnabled: Flag;
  imageMaxSizeMb: number;
  createTime: string | null;
  updateTime: string | null;
}

export interface SessionItem {
  sessionId: string;
  sessionTitle: string;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface SessionMessage {
  id: string;
  role: 'user' | 'assistant' | string;
  content: string | null;
  images: string[] | null;
  metrics: RunMetrics | null;
  createdAt: string | null;
  reasoningContent: string | null;
}

export interface SessionDetail extends SessionItem {
  messages: SessionMessage[];
}

export interface StreamRequest {
  modelId: number;
  message: string;
  sessionId: string | null;
  isReasoning: boolean;
  images: string[] | null;
}

/** One NDJSON line of the chat stream (snake_case keys, as on the wire). */
export type StreamEvent =
  | { type: 'meta'; session_id: string }
  | { type: 'run_info'; run_id: string }
  | { type: 'reasoning'; content: string }
  | { type: 'content'; content: string }
  | { type: 'metrics'; metrics: RunMetrics }
  | { type: 'error'; error: string };
