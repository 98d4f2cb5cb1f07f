import { nextSequence } from '../db/counter.ts';
import { isConditionFailed } from '../db/dynamodb-error.ts';
import { type ItemRead, readItem } from '../db/item-read.ts';
import { ServiceError } from '../errors/service-error.ts';
import type { Runtime } from '../runtime.ts';
import { utcNow } from '../time.ts';
import { defaultChatConfig, type ChatConfig, type ChatConfigInput } from './schema.ts';
import { REFUSAL_MSG } from '../wire/messages.ts';

type Deps = Pick<Runtime, 'db' | 'tables'>;

const COUNTER_KEY = { userId: '#counter' };

/** The caller's saved config merged over the defaults; never null where a value is expected. */
export const chatConfigRead = (deps: Pick<Runtime, 'tables'>, userId: string): ItemRead<ChatConfig> => ({
  table: deps.tables.configs,
  key: { userId },
  // Consistent: the page reads its config right after saving it, and a chat sent right after must use it.
  consistent: true,
  parse: (item) => {
    const saved = (item ?? {}) as Partial<ChatConfig>;
    const defaults = defaultChatConfig(userId);
    return Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, saved[k as keyof ChatConfig] ?? v])) as unknown as ChatConfig;
  },
});

export const getChatConfig = (deps: Deps, userId: string): Promise<ChatConfig> => readItem(deps.db, chatConfigRead(deps, userId));

/**
 * Saves the caller's config in one conditional update: fields the body leaves out keep
 * their value, so concurrent saves of different fields don't erase each other, and a
 * `chatConfigId` that is not the caller's own is refused without writing anything.
 */
export const saveChatConfig = async (deps: Deps, userId: string, input: ChatConfigInput): Promise<void> => {
  const current = await getChatConfig(deps, userId);
  const claimed = input.chatConfigId ?? null;
  if (claimed !== null && claimed !== current.chatConfigId) throw ServiceError.service(REFUSAL_MSG.configNotYours);
  const newId = current.chatConfigId ?? (await nextSequence(deps.db, deps.tables.configs, COUNTER_KEY));

  const { chatConfigId: _ignored, ...fields } = input;
  const provided = Object.entries(fields).filter(([, v]) => v !== undefined);
  const now = utcNow();
  const sets = provided.map((_, i) => `#f${i} = :v${i}`);
  try {
    await deps.db.update({
      TableName: deps.tables.configs,
      Key: { userId },
      UpdateExpression: [
        'SET chatConfigId = if_not_exists(chatConfigId, :newId)',
        'createTime = if_not_exists(createTime, :now)',
        'updateTime = :now',
        ...sets,
      ].join(', '),
      ConditionExpression: claimed === null ? undefined : 'chatConfigId = :claimed',
      ExpressionAttributeNames: provided.length ? Object.fromEntries(provided.map(([k], i) => [`#f${i}`, k])) : undefined,
      ExpressionAttributeValues: {
        ':newId': newId,
        ':now': now,
        ...(claimed === null ? {} : { ':claimed': claimed }),
        ...Object.fromEntries(provided.map(([, v], i) => [`:v${i}`, v])),
      },
    });
  } catch (err) {
    if (isConditionFailed(err)) throw ServiceError.service(REFUSAL_MSG.configNotYours);
    throw err;
  }
};
