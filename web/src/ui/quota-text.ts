import { countText, moneyText } from '../format.ts';
import type { Quota } from '../types.ts';

/** How the quota editor and the user's own view name a quota's parts. */
export const SUBJECT_LABEL: Record<Quota['subjectType'], string> = { user: '用户', role: '角色', dept: '部门', model: '模型' };
export const ENFORCEMENT_LABEL: Record<Quota['enforcement'], string> = { hard: '硬限额', soft: '软限额' };

/** `用户 2`, `模型 GPT-4o`: the model by its name where the page knows it. */
export const quotaSubject = (quota: Pick<Quota, 'subjectType' | 'subjectId'>, modelName: (modelId: string) => string | undefined) =>
  `${SUBJECT_LABEL[quota.subjectType]} ${(quota.subjectType === 'model' && modelName(quota.subjectId)) || quota.subjectId}`;

/** `每日 Token`, `每月费用`. */
export const quotaMeasure = (quota: Pick<Quota, 'period' | 'metric'>) =>
  `${quota.period === 'day' ? '每日' : '每月'}${quota.metric === 'tokens' ? ' Token' : '费用'}`;

/** An amount the quota counts: tokens, or millionths of its currency. */
export const quotaAmount = (quota: Pick<Quota, 'metric' | 'currency'>, amount: number) =>
  quota.metric === 'tokens' ? `${countText(amount)} Token` : moneyText(amount, quota.currency ?? '');
