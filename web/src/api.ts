import { apiUrl, type Connection } from './connection.ts';
import type {
  ChatConfig,
  ChatConfigUpdate,
  ChatModel,
  LedgerFilter,
  ModelTestResult,
  MyUsage,
  Page,
  Quota,
  QuotaInput,
  QuotaListQuery,
  QuotaUpdate,
  SessionDetail,
  SessionItem,
  UploadTicket,
  UsageSummary,
  UsageSummaryQuery,
} from './types.ts';

/** A failure the user should read: the envelope's `msg` (or what went wrong on the way). */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A success: `data`, or a paged list's `rows` and `total` at the top level, and the operation's `msg`. */
interface Envelope {
  code: number;
  msg?: string;
  data?: unknown;
  rows?: unknown;
  total?: unknown;
}

const isEnvelope = (value: unknown): value is Envelope => !!value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'number';

/** RuoYi answers HTTP 200 and puts the outcome in `code`: anything but 200 is an error with `msg`. */
const unwrapEnvelope = (body: unknown, httpStatus: number): Envelope => {
  if (!isEnvelope(body)) throw new ApiError(httpStatus, `服务返回了无法识别的响应 (HTTP ${httpStatus})`);
  if (body.code !== 200) throw new ApiError(body.code, body.msg || `请求失败 (code ${body.code})`);
  return body;
};

export const authHeaders = (connection: Connection): Record<string, string> => (connection.token ? { authorization: `Bearer ${connection.token}` } : {});

const readBody = async (res: Response): Promise<Envelope> => {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, `服务返回了无法识别的响应 (HTTP ${res.status})`);
  }
  return unwrapEnvelope(body, res.status);
};

export const readEnvelope = async <T>(res: Response): Promise<T> => (await readBody(res)).data as T;

const networkError = (err: unknown) => new ApiError(0, `无法连接服务：${err instanceof Error ? err.message : String(err)}`);

/** A query string of the filled-in fields, `?` included; empty when none is. */
const queryString = (params: object) => {
  const filled = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== '');
  return filled.length ? `?${new URLSearchParams(filled.map(([name, value]) => [name, String(value)]))}` : '';
};

export const createApi = (connection: () => Connection) => {
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const conn = connection();
    try {
      return await fetch(apiUrl(conn, path), {
        method,
        headers: { ...authHeaders(conn), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw networkError(err);
    }
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => readEnvelope<T>(await send(method, path, body));
  /** The operation's own text (`新增成功`, `删除成功`), for the page to show. */
  const act = async (method: string, path: string, body?: unknown): Promise<string> => (await readBody(await send(method, path, body))).msg || '操作成功';
  const page = async <T>(path: string): Promise<Page<T>> => {
    const body = await readBody(await send('GET', path));
    return { rows: Array.isArray(body.rows) ? (body.rows as T[]) : [], total: typeof body.total === 'number' ? body.total : 0 };
  };
  /** A file answer (the usage export); a refusal still comes as the JSON envelope. */
  const file = async (path: string, body: unknown): Promise<Blob> => {
    const res = await send('POST', path, body);
    if ((res.headers.get('content-type') ?? '').includes('application/json') || !res.ok) {
      await readBody(res);
      throw new ApiError(res.status, `服务没有返回文件 (HTTP ${res.status})`);
    }
    return res.blob();
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
    usageSummary: (query: UsageSummaryQuery) => call<UsageSummary>('GET', `/ai/usage/summary${queryString(query)}`),
    exportUsage: (filter: LedgerFilter) => file('/ai/usage/export', filter),
    myUsage: () => call<MyUsage>('GET', '/ai/usage/my'),
    quotas: (query: QuotaListQuery) => page<Quota>(`/ai/quota/list${queryString(query)}`),
    addQuota: (quota: QuotaInput) => act('POST', '/ai/quota', quota),
    editQuota: (quota: QuotaUpdate) => act('PUT', '/ai/quota', quota),
    removeQuotas: (quotaIds: number[]) => act('DELETE', `/ai/quota/${quotaIds.join(',')}`),
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
