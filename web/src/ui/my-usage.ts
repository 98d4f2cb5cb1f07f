import { type Api, ApiError } from '../api.ts';
import { byId, h } from '../dom.ts';
import { createLoadOrder } from '../load-order.ts';
import { costText, countText } from '../format.ts';
import type { MyUsage, QuotaStanding } from '../types.ts';
import { errorText } from './notices.ts';
import { ENFORCEMENT_LABEL, quotaAmount, quotaMeasure, quotaSubject } from './quota-text.ts';

export interface MyUsageOptions {
  api: Api;
  modelName(modelId: string): string | undefined;
}

/** Past this share of a limit the bar warns. */
const WARN_AT = 0.8;

const periodLine = (label: string, p: MyUsage['today']) =>
  h(
    'div',
    { class: 'my-usage-period' },
    h('dt', {}, label),
    h('dd', {}, `${countText(p.totalTokens)} Token`, h('span', { class: 'muted' }, ` · ${costText(p.costMicros)}`)),
  );

/**
 * The caller's own use, in the sidebar: today and this month (`GET /ai/usage/my`), and each
 * quota that applies to them as a bar of what it counts against its limit, with when it
 * resets. Read when the page loads and after every reply.
 */
export const createMyUsage = (options: MyUsageOptions) => {
  const panel = byId('my-usage');
  const body = byId('my-usage-body');

  const standing = (q: QuotaStanding) => {
    const share = Math.min(1, q.used / q.limit);
    const level = q.reached ? 'reached' : share >= WARN_AT ? 'warn' : 'ok';
    const figures = `${quotaAmount(q, q.used)} / ${quotaAmount(q, q.limit)}`;
    const fill = h('div', { class: 'quota-fill' });
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    const subject = q.subjectType === 'user' ? '本人' : quotaSubject(q, options.modelName);
    return h(
      'li',
      { class: `quota-standing ${level}` },
      h('div', { class: 'quota-name' }, `${subject} · ${quotaMeasure(q)}`, h('span', { class: 'muted' }, ` · ${ENFORCEMENT_LABEL[q.enforcement]}`)),
      h(
        'div',
        {
          class: 'quota-bar',
          role: 'progressbar',
          'aria-label': `${subject}${quotaMeasure(q)}限额`,
          'aria-valuemin': 0,
          'aria-valuemax': q.limit,
          'aria-valuenow': Math.min(q.used, q.limit),
          'aria-valuetext': figures,
        },
        fill,
      ),
      h(
        'div',
        { class: 'quota-figures' },
        figures,
        h('span', { class: 'muted' }, q.reached ? ` · 已达到，${q.resetsAt.replace('T', ' ')} 重置` : ` · ${q.resetsAt.replace('T', ' ')} 重置`),
      ),
    );
  };

  const render = (usage: MyUsage) => {
    body.replaceChildren(
      h('dl', {}, periodLine('今日', usage.today), periodLine('本月', usage.month)),
      usage.quotas.length ? h('ul', { class: 'quota-standings' }, ...usage.quotas.map(standing)) : h('p', { class: 'muted' }, '没有适用于你的限额'),
    );
    panel.hidden = false;
  };

  const loads = createLoadOrder();

  return {
    /** Another account signs in: the last one's figures go before the next one's come, and a refresh still out for it renders nothing. */
    clear() {
      loads.clear();
      body.replaceChildren();
      panel.hidden = true;
    },
    async refresh() {
      const current = loads.begin();
      try {
        const usage = await options.api.myUsage();
        if (current()) render(usage);
      } catch (err) {
        if (!current()) return;
        // Its own use is a side panel: a failure there is said there, not as an alert after every reply.
        if (err instanceof ApiError && (err.code === 401 || err.code === 403)) panel.hidden = true;
        else {
          body.replaceChildren(h('p', { class: 'muted' }, `用量暂不可用：${errorText(err)}`));
          panel.hidden = false;
        }
      }
    },
  };
};
