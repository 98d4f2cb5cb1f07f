import * as z from 'zod/mini';
import { CHAT_PERMISSION } from '../../core/auth/identity.ts';
import { getChatConfig, saveChatConfig } from '../../core/configs/repository.ts';
import { chatConfigInputSchema, toPublicChatConfig } from '../../core/configs/schema.ts';
import { ok } from '../../core/wire/envelope.ts';
import { createImageUpload, uploadRequestSchema } from '../../core/images/upload.ts';
import { deleteSession } from '../../core/sessions/delete-session.ts';
import { cancelRequestSchema, requestCancel } from '../../core/sessions/request-cancel.ts';
import { sessionDetail } from '../../core/sessions/session-detail.ts';
import { listSessions } from '../../core/sessions/session-list.ts';
import { route, type AnyRoute } from '../router.ts';
import { AUDIT_MSG, OK_MSG } from '../../core/wire/messages.ts';
import { BUSINESS_TYPE } from '../../core/audit/operation.ts';

/** Session ids are UUIDs (the stream and the page make them); anything else is bad input. */
const sessionParams = z.object({ sessionId: z.uuid({ error: 'sessionId: 必须是UUID' }) });

/** `/ai/chat/*` REST routes (config, sessions, cancel, upload); all need `ai:chat:list`. */
export const chatRoutes: readonly AnyRoute[] = [
  route({
    method: 'GET',
    path: '/ai/chat/config',
    summary: "The caller's chat config, or the defaults",
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity }) => ok(toPublicChatConfig(await getChatConfig(runtime, identity.userId))),
  }),
  route({
    method: 'PUT',
    path: '/ai/chat/config',
    summary: "Saves the caller's chat config (fields left out keep their value)",
    permission: CHAT_PERMISSION,
    body: chatConfigInputSchema,
    // RuoYi logs a config save as INSERT, whether or not one existed.
    audit: { title: AUDIT_MSG.chatConfigTitle, businessType: BUSINESS_TYPE.insert, method: 'chat.saveChatConfig()' },
    handle: async ({ runtime, identity, body, auditItem }) => {
      auditItem(identity.userId);
      await saveChatConfig(runtime, identity.userId, body);
      return ok(undefined, OK_MSG.saved);
    },
  }),
  route({
    method: 'GET',
    path: '/ai/chat/session/list',
    summary: "The caller's sessions, newest first",
    permission: CHAT_PERMISSION,
    handle: async ({ runtime, identity }) => ok(await listSessions(runtime, identity.userId)),
  }),
  route({
    method: 'GET',
    path: '/ai/chat/session/{sessionId}',
    summary: "One of the caller's sessions with its messages",
    permission: CHAT_PERMISSION,
    params: sessionParams,
    handle: async ({ runtime, identity, params }) => ok(await sessionDetail(runtime, params.sessionId, identity.userId)),
  }),
  route({
    method: 'DELETE',
    path: '/ai/chat/session/{sessionId}',
    summary: "Deletes one of the caller's sessions",
    permission: CHAT_PERMISSION,
    params: sessionParams,
    audit: { title: AUDIT_MSG.chatSessionTitle, businessType: BUSINESS_TYPE.delete, method: 'chat.deleteSession()' },
    handle: async ({ runtime, identity, params, auditItem }) => {
      auditItem(params.sessionId);
      await deleteSession(runtime, params.sessionId, identity.userId);
      return ok(undefined, OK_MSG.deleted);
    },
  }),
  route({
    method: 'POST',
    path: '/ai/chat/cancel',
    summary: "Stops one of the caller's runs",
    permission: CHAT_PERMISSION,
    body: cancelRequestSchema,
    handle: async ({ runtime, identity, body }) => {
      await requestCancel(runtime, identity.userId, body.runId);
      return ok(undefined, OK_MSG.cancelled);
    },
  }),
  route({
    method: 'POST',
    path: '/ai/chat/upload',
    summary: "A presigned upload for one image (the bundled page; RuoYi's page uploads to RuoYi)",
    permission: CHAT_PERMISSION,
    body: uploadRequestSchema,
    handle: async ({ runtime, identity, body }) => ok(await createImageUpload(runtime, identity.userId, body)),
  }),
];
