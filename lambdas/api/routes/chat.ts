import * as z from 'zod/mini';
import { CHAT_PERMISSION } from '../../core/auth/identity.ts';
import { getChatConfig, saveChatConfig } from '../../core/configs/repository.ts';
import { chatConfigInputSchema, toPublicChatConfig } from '../../core/configs/schema.ts';
import { ok } from '../../core/http/envelope.ts';
import { createImageUpload, uploadRequestSchema } from '../../core/images/upload.ts';
import { deleteSession } from '../../core/sessions/delete-session.ts';
import { cancelRequestSchema, requestCancel } from '../../core/sessions/request-cancel.ts';
import { sessionDetail } from '../../core/sessions/session-detail.ts';
import { listSessions } from '../../core/sessions/session-list.ts';
import { parseInput, parseJsonBody } from '../../core/validation/parse.ts';
import type { Route } from '../router.ts';

/** Session ids are UUIDs (the stream and the page make them); anything else is bad input. */
const sessionIdParam = z.uuid({ error: 'sessionId: 必须是UUID' });

/** `/ai/chat/*` REST routes (config, sessions, cancel, upload); all need `ai:chat:list`. */
export const chatRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/ai/chat/config',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity }) => ok(toPublicChatConfig(await getChatConfig(runtime, identity.userId))),
  },
  {
    method: 'PUT',
    path: '/ai/chat/config',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity, body }) => {
      await saveChatConfig(runtime, identity.userId, parseJsonBody(chatConfigInputSchema, body));
      return ok(undefined, '保存成功');
    },
  },
  {
    method: 'GET',
    path: '/ai/chat/session/list',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity }) => ok(await listSessions(runtime, identity.userId)),
  },
  {
    method: 'GET',
    path: '/ai/chat/session/{sessionId}',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity, params }) =>
      ok(await sessionDetail(runtime, parseInput(sessionIdParam, params.sessionId), identity.userId)),
  },
  {
    method: 'DELETE',
    path: '/ai/chat/session/{sessionId}',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity, params }) => {
      await deleteSession(runtime, parseInput(sessionIdParam, params.sessionId), identity.userId);
      return ok(undefined, '删除成功');
    },
  },
  {
    method: 'POST',
    path: '/ai/chat/cancel',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity, body }) => {
      await requestCancel(runtime, identity.userId, parseJsonBody(cancelRequestSchema, body).runId);
      return ok(undefined, '取消成功');
    },
  },
  {
    method: 'POST',
    path: '/ai/chat/upload',
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity, body }) =>
      ok(await createImageUpload(runtime, identity.userId, parseJsonBody(uploadRequestSchema, body))),
  },
];
