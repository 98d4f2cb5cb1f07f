import { imageRefOf, ruoyiUploadPaths } from '../images/image-refs.ts';
import { getModel } from '../models/repository.ts';
import type { Runtime } from '../runtime.ts';
import { wireTime } from '../time.ts';
import { loadRuns, requireOwnedSession } from './run-store.ts';
import { toSessionListItem } from './session-list.ts';
import type { ModelInfo, RunRecord } from './types.ts';

type Deps = Pick<Runtime, 'db' | 'tables' | 'images' | 'settings'>;

/** The seed's agent id; the front end reads it back unchanged. */
const CHAT_AGENT_ID = 'chat-agent';

/** The fields every message carries; the values the seed's agent gives a plain chat turn. */
const message = (fields: {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  images: string[];
  metrics: RunRecord['metrics'];
  createdAt: number;
  reasoningContent: string | null;
}) => ({ ...fields, createdAt: wireTime(fields.createdAt), fromHistory: false, stopAfterToolCall: false });

/**
 * A message's images as the page can show them: URLs the browser can open for the
 * owner's own stored images, RuoYi upload paths as they were sent (the page prefixes
 * its API base and RuoYi serves them), nothing for anything else.
 */
const pageImages = (deps: Deps, ownerId: string, entries: string[]): Promise<string[]> => {
  const paths = ruoyiUploadPaths(deps.settings);
  const refs = entries.flatMap((entry) => imageRefOf(paths, ownerId, entry) ?? []);
  return Promise.all(refs.map((ref) => (ref.source === 'store' ? deps.images.viewUrl(ref.key) : ref.path)));
};

/**
 * One run as the two messages the page shows: the question, with its images, and the
 * reply, partial if the run was cancelled or failed.
 */
const runMessages = async (deps: Deps, ownerId: string, run: RunRecord) => [
  message({
    id: `${run.runId}-user`,
    role: 'user',
    content: run.userMessage,
    images: await pageImages(deps, ownerId, run.images),
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
