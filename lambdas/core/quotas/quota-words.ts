import type { Identity } from '../auth/identity.ts';
import type { StoredModel } from '../models/schema.ts';
import { microsText } from '../usage/prices.ts';
import type { QuotaWords } from '../wire/messages.ts';
import type { Quota } from './schema.ts';

/** An amount of money as people read it: at least two decimals, no trailing zeros beyond. */
export const moneyText = (micros: number, currency: string): string => `${microsText(micros).replace(/(\.\d\d\d*?)0+$/, '$1')} ${currency}`;

const subjectOf = (quota: Quota, identity: Identity, model: Pick<StoredModel, 'modelName' | 'modelCode'> | undefined): string => {
  switch (quota.subjectType) {
    case 'user':
      return `用户 ${identity.userName ?? identity.userId}`;
    case 'role':
      return `角色 ${quota.subjectId}`;
    case 'dept':
      return `部门 ${quota.subjectId === identity.deptId && identity.deptName ? identity.deptName : quota.subjectId}`;
    case 'model':
      return `模型 ${model ? model.modelName || model.modelCode : quota.subjectId}`;
    default:
      return quota.subjectType satisfies never;
  }
};

/** How the messages name a quota that applies to `identity` sending to `model`, its period ending at `resetsAt` (a wire time). */
export const quotaWords = (
  quota: Quota,
  identity: Identity,
  model: Pick<StoredModel, 'modelName' | 'modelCode'> | undefined,
  resetsAt: string,
): QuotaWords => ({
  subject: subjectOf(quota, identity, model),
  period: quota.period,
  metric: quota.metric,
  limit: quota.metric === 'tokens' ? `${quota.limit} Token` : moneyText(quota.limit, quota.currency ?? ''),
  resetsAt: resetsAt.replace('T', ' '),
});
