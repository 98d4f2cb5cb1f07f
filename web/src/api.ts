import { apiUrl, type Connection } from './connection.ts';
import type { ChatConfig, ChatConfigUpdate, ChatModel, ModelTestResult, SessionDetail, SessionItem, UploadTicket } from './types.ts';

/** A failure the user should read: the envelope's `msg` (or what went wrong on the way). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  code: number;
  msg?: string;
  data?: T;
}

const isEnvelope = (value: unknown): value is Envelope<unknown> =>
  !!value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'number';

/** RuoYi answers HTTP 200 and puts the outcome in `code`: anything but 200 is an error with `msg`. */
const unwrapEnvelope = <T>(body: unknown, httpStatus: number): T => {
  if (!isEnvelope(body)) throw new ApiError(httpStatus, `服务返回了无法识别的响应 (HTTP ${httpStatus})`);
  if (body.code !== 200) throw new ApiError(body.code, body.msg || `请求失败 (code ${body.code})`);
  return body.data as T;
};

export const authHeaders = (connection: Connection): Record<string, string> => (connection.token ? { authorization: `Bearer ${connection.token}` } : {});

export const readEnvelope = async <T>(res: Response): Promise<T> => {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, `服务返回了无法识别的响应 (HTTP ${res.status})`);
  }
  return unwrapEnvelope<T>(body, res.status);
};

const networkError = (err: unknown) => new ApiError(0, `无法连接服务：${err instanceof Error ? err.message : String(err)}`);

export const createApi = (connection: () => Connection) => {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const conn = connection();
    let res: Response;
    try {
      res = await fetch(apiUrl(conn, path), {
        method,
        headers: { ...authHeaders(conn), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw networkError(err);
    }
    return readEnvelope<T>(res);
  };
  const session = (id: string) => `/ai/chat/session/${encodeURIComponent(id)}`;

  return {
    models: () => call<ChatModel[]>('GET', '/ai/model/all'),
    testModel: (modelId: number) => call<ModelTestResult>('POST', '/ai/model/test', { modelId }),
    config: () => call<ChatConfig>('GET', '/ai/chat/config'),
    saveConfig: (config: ChatConfigUpdate) => call<unknown>('PUT', '/ai/chat/config', config),
    sessions: () => call<SessionItem[]>('GET', '/ai/chat/session/list'),
    session: (id: string) => call<SessionDetail>('GET', session(id)),
    deleteSession: (id: string) => call<unknown>('DELETE', session(id)),
    cancel: (runId: string) => call<unknown>('POST', '/ai/chat/cancel', { runId }),
    requestUpload: (file: File) => call<UploadTicket>('POST', '/ai/chat/upload', { fileName: file.name, contentType: file.type, size: file.size }),
  };
};

export type Api = ReturnType<typeof createApi>;

/** The presigned POST: its fields first, the file last, as S3 requires; no Authorization header. */
export const uploadToTicket = async (ticket: UploadTicket, file: File): Promise<string> => {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', file);
  let res: Response;
  try {
    res = await fetch(ticket.uploadUrl, { method: 'POST', body: form });
  } catch (err) {
    throw networkError(err);
  }
  if (!res.ok) throw new ApiError(res.status, `图片上传失败 (HTTP ${res.status})`);
  return ticket.key;
};
