import { isOwnImageKey } from '../images/image-store.ts';
import { getModel } from '../models/repository.ts';
import type { Runtime } from '../runtime.ts';
import { toIso } from '../time.ts';
import { loadRuns, requireOwnedSession } from './run-store.ts';
import { toSessionListItem } from './session-list.ts';
import type { ModelInfo, RunRecord } from './types.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'images'>;

/** The seed's agent id; the front end reads it back unchanged. */
const CHAT_AGENT_ID = 'chat-agent';

const timeOf = (ms: number) => toIso(new Date(ms));

/** The fields every message carries; the values the seed's agent gives a plain chat turn. */
const message = (fields: {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  images: string[];
  metrics: RunRecord['metrics'];
  createdAt: number;
  reasoningContent: string | null;
}) => ({ ...fields, createdAt: timeOf(fields.createdAt), fromHistory: false, stopAfterToolCall: false });

/**
 * One run as the two messages the page shows: the question (with URLs the browser can
 * open for the owner's own images) and the reply, partial if the run was cancelled or failed.
 */
const runMessages = async (deps: Deps, ownerId: string, run: RunRecord) => [
  message({
    id: `${run.runId}-user`,
    role: 'user',
    content: run.userMessage,
    images: await Promise.all(run.images.filter((key) => isOwnImageKey(ownerId, key)).map((key) => deps.images.viewUrl(key))),
    metrics: null,
    createdAt: run.startedAt,
    reasoningContent: null,
  }),
  message({
    id: `${run.runId}-assistant`,
    role: 'assistant',
    content: run.content,
    images: [],
    metrics: run.metrics,
    createdAt: run.finishedAt,
    reasoningContent: run.reasoning,
  }),
];

/**
 * The model as the page labels a reply (`provider / id`): `id` is the model's code, as the
 * seed's agent reports it; `modelId` is our numeric id. Runs stored without the code take
 * the model's current one.
 */
const agentModel = async (deps: Deps, model: ModelInfo) => ({
  id: model.code ?? (await getModel(deps, model.id))?.modelCode ?? String(model.id),
  modelId: model.id,
  name: model.name,
  provider: model.provider,
  temperature: model.temperature,
});

/** The session with its messages in order; `会话不存在` / `无权访问该会话` otherwise. */
export const sessionDetail = async (deps: Deps, sessionId: string, userId: string) => {
  const header = await requireOwnedSession(deps, sessionId, userId);
  const runs = await loadRuns(deps, sessionId);
  const messages = (await Promise.all(runs.map((run) => runMessages(deps, header.userId, run)))).flat();
  return {
    ...toSessionListItem(header),
    agentId: CHAT_AGENT_ID,
    sessionData: { sessionState: {}, sessionMetrics: header.metrics },
    agentData: { agentId: CHAT_AGENT_ID, model: header.model ? await agentModel(deps, header.model) : null },
    messages,
  };
};
