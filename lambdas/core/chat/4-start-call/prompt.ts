import type { ChatConfig } from '../../configs/schema.ts';
import type { PromptImage, PromptMessage } from '../../llm/types.ts';
import type { StoredModel } from '../../models/schema.ts';
import type { RunRecord } from '../../sessions/types.ts';

export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful AI assistant.';
/** The seed's agent runs with `markdown=True`; this is the instruction that adds to its system message. */
export const MARKDOWN_INSTRUCTION = 'Use markdown to format your answers.';

/** The user's config temperature, else the model's; absent when neither is set (the provider's default). */
export const effectiveTemperature = (config: ChatConfig, model: StoredModel): number | undefined => config.temperature ?? model.temperature ?? undefined;

/** Deep thinking needs both the request's wish and the model's support. */
export const reasoningEnabled = (isReasoning: boolean | null | undefined, model: StoredModel): boolean =>
  isReasoning === true && model.supportReasoning === 'Y';

/** Images go to the model only when the user turned vision on and the model reads images. */
export const visionEnabled = (config: ChatConfig, model: StoredModel): boolean => config.visionEnabled === '0' && model.supportImages === 'Y';

export const historyWanted = (config: ChatConfig): boolean => config.addHistoryToContext === '0';

export const systemPrompt = (config: ChatConfig): string => {
  const base = config.systemPrompt?.trim() ? config.systemPrompt : DEFAULT_SYSTEM_PROMPT;
  return `${base}\n\n<additional_information>\n- ${MARKDOWN_INSTRUCTION}\n</additional_information>`;
};

/** A past turn as the prompt carries it. */
export type HistoryTurn = Pick<RunRecord, 'userMessage' | 'content'>;

export interface PromptInput {
  config: ChatConfig;
  /** Completed runs, oldest first (already cut to `numHistoryRuns`). */
  history: HistoryTurn[];
  message: string;
  images: PromptImage[];
}

/** System prompt, then each history run as a user and an assistant message, then the new message. */
export const buildPrompt = (input: PromptInput): PromptMessage[] => [
  { role: 'system', text: systemPrompt(input.config) },
  ...input.history.flatMap((run): PromptMessage[] => [
    { role: 'user', text: run.userMessage },
    ...(run.content ? [{ role: 'assistant' as const, text: run.content }] : []),
  ]),
  { role: 'user', text: input.message, ...(input.images.length ? { images: input.images } : {}) },
];
