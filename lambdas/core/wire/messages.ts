/**
 * Every text a user reads, by where it shows: RuoYi's pages print `msg` and the stream's
 * `error` line as they are. Validation messages (code 601) are not here: each names its
 * field and sits beside that field's rule in its schema.
 */

/** Success `msg` texts, as RuoYi's pages expect them. */
export const OK_MSG = {
  done: '操作成功',
  saved: '保存成功',
  added: '新增成功',
  updated: '修改成功',
  deleted: '删除成功',
  cancelled: '取消成功',
} as const;

/** Who may call: codes 401, 403 and 429, and RuoYi not answering (500, never 401: its page logs the user out on 401). */
export const AUTH_MSG = {
  unauthorized: '认证失败，无法访问系统资源',
  forbidden: '该用户无此接口权限',
  tooManyRequests: '请求过于频繁，请稍后再试',
  unavailable: '认证服务暂不可用',
} as const;

/** A request refused with code 500: the contract's service messages. */
export const REFUSAL_MSG = {
  /** An unexpected failure: the details go to the log, never to the caller. */
  generic: '系统内部错误，请联系管理员',
  notFound: '请求的资源不存在',
  modelMissing: '模型不存在',
  modelDisabled: '模型已停用',
  modelOutOfScope: '没有权限访问AI模型数据',
  modelAbsent: 'AI模型不存在',
  modelIdsEmpty: '传入AI模型id为空',
  keyRequired: '修改提供商或Base URL时必须重新填写API Key',
  keyDecrypt: '模型API密钥解密失败',
  badUrl: 'Base URL 只支持 http/https 且必须包含主机名',
  privateTarget: 'Base URL 不允许指向本机或内网地址',
  unresolvedHost: '无法解析 Base URL 的主机名',
  sessionMissing: '会话不存在',
  notYourSession: '无权访问该会话',
  deleteFailed: '删除会话失败',
  cancelForbidden: '无权取消该运行',
  cancelFailed: '取消运行失败',
  configNotYours: '只允许修改当前用户的配置',
  quotaAbsent: '限额不存在',
  quotaIdsEmpty: '传入限额id为空',
  usageOutOfScope: '没有权限访问该用量数据',
} as const;

/**
 * The audit trail's texts (GET /ai/audit/list): RuoYi's @Log titles of the AI module, and
 * what its operation log writes for a request or result too long to keep.
 */
export const AUDIT_MSG = {
  modelTitle: 'AI模型管理',
  chatConfigTitle: 'AI对话配置管理',
  chatSessionTitle: 'AI对话会话管理',
  quotaTitle: 'AI限额管理',
  usageTitle: 'AI用量',
  paramTooLong: '请求参数过长',
  resultTooLong: '返回参数过长',
} as const;

/** Upload refused for the day's volume (429). */
export const uploadQuotaMessage = (mbPerDay: number) => `图片上传总量已达每日上限（${mbPerDay}MB），请稍后再试`;

/** A run's own `error` lines: how it ended when not by the provider's doing. */
export const RUN_MSG = {
  timeLimit: '生成时间超过上限，已停止生成',
  startFailed: '运行创建失败，请稍后重试',
  historyFailed: '加载会话历史失败，请稍后重试',
  saveFailed: '会话保存失败，本次回复未能保存',
  unexpected: '生成失败，请稍后重试',
  replyTooLong: '回复超过长度上限，已停止生成',
} as const;

/** A model call's failure as the user reads it: one message per class (llm/upstream-errors.ts recognises them). */
export const UPSTREAM_MSG = {
  quota: '模型服务额度或余额不足，请联系管理员充值或更换API密钥',
  contextTooLong: '对话内容超出模型的上下文长度，请缩短消息或新建会话',
  contentFiltered: '内容被模型服务的安全策略拦截',
  modelNotFound: '模型不存在或无权使用，请检查模型编码',
  auth: '模型服务认证失败，请检查API密钥',
  rateLimited: '模型服务请求过于频繁，请稍后重试',
  overloaded: '模型服务繁忙（过载），请稍后重试',
  timeout: '模型响应超时，请稍后重试',
  unavailable: '模型服务暂时不可用，请稍后重试',
  unreachable: '无法连接模型服务，请检查 Base URL',
  rejected: '模型服务拒绝了请求，请检查模型配置',
  interrupted: '模型服务连接中断',
} as const;

/** A model test that reached the model (`POST /ai/model/test`); its failures read as UPSTREAM_MSG. */
export const MODEL_TEST_MSG = {
  passed: (seconds: number) => `连接成功，首字耗时 ${seconds} 秒`,
  noText: '连接成功，但模型没有返回文字',
} as const;

/** The error line of a provider's failure: the class, then the provider's own short reason. */
export const upstreamErrorLine = (message: string, reason?: string): string => (reason ? `${message}（服务商：${reason}）` : message);

/** A quota as its messages name it: whose, which period and measure, the limit and when its period ends. */
export interface QuotaWords {
  /** `用户 zhangsan`, `部门 研发部门`, `角色 common`, `模型 gpt-4o`. */
  subject: string;
  period: 'day' | 'month';
  metric: 'tokens' | 'cost';
  /** `100000 Token` or `100.00 CNY`. */
  limit: string;
  /** `2026-11-25 00:00:00`. */
  resetsAt: string;
}

const quotaName = (q: QuotaWords) => `${q.subject} 的${q.period === 'day' ? '每日' : '每月'}${q.metric === 'tokens' ? 'Token' : '费用'}`;

/** A send refused by a hard quota, before any provider contact. */
export const quotaReachedMessage = (q: QuotaWords): string => `已达到${quotaName(q)}限额（${q.limit}），将于 ${q.resetsAt} 重置`;

/** The stream's notice once a soft quota is passed, once per user, quota and period. */
export const quotaNoticeMessage = (q: QuotaWords): string => `已超过${quotaName(q)}提醒额度（${q.limit}），本周期内不再提醒，将于 ${q.resetsAt} 重置`;
