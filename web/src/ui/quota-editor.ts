import { type Api, ApiError } from '../api.ts';
import { byId, h } from '../dom.ts';
import { createLoadOrder } from '../load-order.ts';
import { moneyInput, parseMoney } from '../format.ts';
import type { ChatModel, Quota, QuotaInput } from '../types.ts';
import { confirmAction } from './confirm.ts';
import { showInfo } from './notices.ts';
import { ENFORCEMENT_LABEL, quotaAmount, quotaMeasure, quotaSubject } from './quota-text.ts';

export interface QuotaEditorOptions {
  api: Api;
  /** The models the page knows, offered for a model quota's id. */
  models(): ChatModel[];
  modelName(modelId: string): string | undefined;
  failed(err: unknown): void;
  /** A quota was added, changed or removed (the caller's own standing may have changed). */
  changed(): void;
}

const PAGE_SIZE = 20;

/** What the subject id field asks for, by subject type. */
const SUBJECT_HINT: Record<Quota['subjectType'], string> = {
  user: '用户ID',
  role: '角色权限字符（如 common）',
  dept: '部门ID（含下级部门）',
  model: '模型ID',
};

/**
 * The quota editor: the list (`GET /ai/quota/list`, paged), and a dialog that adds
 * (`POST /ai/quota`) or changes (`PUT /ai/quota`) one; deleting asks first. The fields'
 * rules are the API's: its refusal (601, `msg` naming the field) is shown in the dialog,
 * which stays open with what was typed.
 */
export const createQuotaEditor = (options: QuotaEditorOptions) => {
  const rowsEl = byId('quota-rows');
  const empty = byId('quota-empty');
  const pageText = byId('quota-page');
  const prev = byId<HTMLButtonElement>('quota-prev');
  const next = byId<HTMLButtonElement>('quota-next');
  const dialog = byId<HTMLDialogElement>('quota-dialog');
  const form = byId<HTMLFormElement>('quota-form');
  const problem = byId('quota-error');
  const field = <T extends HTMLElement>(name: string) => form.elements.namedItem(name) as T;
  const subjectType = field<HTMLSelectElement>('subjectType');
  const subjectId = field<HTMLInputElement>('subjectId');
  const period = field<HTMLSelectElement>('period');
  const metric = field<HTMLSelectElement>('metric');
  const currency = field<HTMLInputElement>('currency');
  const limit = field<HTMLInputElement>('limit');
  const enforcement = field<HTMLSelectElement>('enforcement');
  const enabled = field<HTMLInputElement>('status');
  const remark = field<HTMLTextAreaElement>('remark');
  const saveButton = byId<HTMLButtonElement>('quota-save');
  let pageNum = 1;
  let editing: Quota | null = null;

  const row = (quota: Quota) => {
    const subject = quotaSubject(quota, options.modelName);
    return h(
      'tr',
      { 'data-quota-id': quota.quotaId },
      h('td', {}, String(quota.quotaId)),
      h('td', {}, subject),
      h('td', {}, quotaMeasure(quota)),
      h('td', { class: 'num' }, quotaAmount(quota, quota.limit)),
      h('td', {}, ENFORCEMENT_LABEL[quota.enforcement]),
      h('td', {}, quota.status === '0' ? '启用' : h('span', { class: 'muted' }, '停用')),
      h('td', { class: 'remark' }, quota.remark ?? ''),
      h('td', { class: 'muted' }, (quota.updateTime ?? quota.createTime).replace('T', ' ')),
      h(
        'td',
        { class: 'actions' },
        h('button', { type: 'button', class: 'link', 'aria-label': `修改限额 ${quota.quotaId}`, onclick: () => open(quota) }, '修改'),
        h(
          'button',
          { type: 'button', class: 'link danger-text', 'aria-label': `删除限额 ${quota.quotaId}`, onclick: () => void remove(quota, subject) },
          '删除',
        ),
      ),
    );
  };

  const loads = createLoadOrder();

  const load = async (): Promise<void> => {
    const current = loads.begin();
    try {
      const page = await options.api.quotas({ pageNum, pageSize: PAGE_SIZE });
      if (!current()) return;
      const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      if (pageNum > pages) {
        pageNum = pages;
        return load();
      }
      rowsEl.replaceChildren(...page.rows.map(row));
      empty.hidden = page.total > 0;
      pageText.textContent = `第 ${pageNum}/${pages} 页，共 ${page.total} 个`;
      prev.disabled = pageNum <= 1;
      next.disabled = pageNum >= pages;
    } catch (err) {
      if (current()) options.failed(err);
    }
  };

  /** Nothing of the last account's list stays, not even behind the next account's load. */
  const clear = () => {
    loads.clear();
    pageNum = 1;
    rowsEl.replaceChildren();
    empty.hidden = true;
    pageText.textContent = '';
  };

  const showProblem = (text: string) => {
    problem.textContent = text;
    problem.hidden = !text;
  };

  /** The metric decides whether a currency applies and what the limit is counted in. */
  const metricChanged = () => {
    const cost = metric.value === 'cost';
    byId('quota-currency-field').hidden = !cost;
    currency.required = cost;
    byId('quota-limit-unit').textContent = cost ? '（金额，最多 6 位小数）' : '（Token）';
  };
  const subjectChanged = () => {
    byId('quota-subject-hint').textContent = SUBJECT_HINT[subjectType.value as Quota['subjectType']];
    // Model ids are offered from the models this page knows; others are typed.
    if (subjectType.value === 'model') subjectId.setAttribute('list', 'quota-models');
    else subjectId.removeAttribute('list');
  };

  const open = (quota: Quota | null) => {
    editing = quota;
    byId('quota-title').textContent = quota ? `修改限额 ${quota.quotaId}` : '新增限额';
    byId('quota-models').replaceChildren(...options.models().map((m) => h('option', { value: m.modelId }, m.modelName || m.modelCode)));
    subjectType.value = quota?.subjectType ?? 'user';
    subjectId.value = quota?.subjectId ?? '';
    period.value = quota?.period ?? 'day';
    metric.value = quota?.metric ?? 'tokens';
    currency.value = quota?.currency ?? 'CNY';
    limit.value = !quota ? '' : quota.metric === 'cost' ? moneyInput(quota.limit) : String(quota.limit);
    enforcement.value = quota?.enforcement ?? 'hard';
    enabled.checked = (quota?.status ?? '0') === '0';
    remark.value = quota?.remark ?? '';
    metricChanged();
    subjectChanged();
    showProblem('');
    dialog.showModal();
  };

  /** The form as the API takes it; the limit of a cost quota typed in units, sent in millionths. */
  const read = (): QuotaInput | string => {
    const cost = metric.value === 'cost';
    const amount = cost ? parseMoney(limit.value) : Number(limit.value.trim());
    if (amount === undefined) return '限额：请填写金额，最多 6 位小数';
    return {
      subjectType: subjectType.value as Quota['subjectType'],
      subjectId: subjectId.value,
      period: period.value as Quota['period'],
      metric: metric.value as Quota['metric'],
      currency: cost ? currency.value.trim().toUpperCase() : null,
      limit: amount,
      enforcement: enforcement.value as Quota['enforcement'],
      status: enabled.checked ? '0' : '1',
      remark: remark.value.trim() || null,
    };
  };

  const save = async () => {
    const input = read();
    if (typeof input === 'string') return showProblem(input);
    saveButton.disabled = true;
    try {
      const message = editing ? await options.api.editQuota({ ...input, quotaId: editing.quotaId }) : await options.api.addQuota(input);
      dialog.close();
      showInfo(message);
      options.changed();
      await load();
    } catch (err) {
      if (err instanceof ApiError && err.code !== 401) showProblem(err.message);
      else options.failed(err);
    } finally {
      saveButton.disabled = false;
    }
  };

  const remove = async (quota: Quota, subject: string) => {
    if (!(await confirmAction(`删除限额 ${quota.quotaId}（${subject} ${quotaMeasure(quota)}）？`))) return;
    try {
      showInfo(await options.api.removeQuotas([quota.quotaId]));
      options.changed();
    } catch (err) {
      options.failed(err);
    }
    await load();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (form.reportValidity()) void save();
  });
  metric.addEventListener('change', metricChanged);
  subjectType.addEventListener('change', subjectChanged);
  byId('quota-cancel').addEventListener('click', () => dialog.close());
  byId('quota-add').addEventListener('click', () => open(null));
  prev.addEventListener('click', () => {
    pageNum -= 1;
    void load();
  });
  next.addEventListener('click', () => {
    pageNum += 1;
    void load();
  });

  return { load, clear };
};
