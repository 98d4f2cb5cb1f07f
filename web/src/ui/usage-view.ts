import type { Api } from '../api.ts';
import { byId, h } from '../dom.ts';
import { createLoadOrder } from '../load-order.ts';
import { compactText, costText, countText, moneyText } from '../format.ts';
import type { UsageFigures, UsageRow, UsageSummary } from '../types.ts';
import { barChart, columnChart, type Table } from './charts.ts';
import { errorText } from './notices.ts';

export interface UsageViewOptions {
  api: Api;
  failed(err: unknown): void;
}

interface Summaries {
  day: UsageSummary;
  model: UsageSummary;
  user: UsageSummary;
  dept: UsageSummary;
}

/** How many users and departments the rankings draw; their tables list every row. */
const TOP = 10;
const tokens = (n: number) => `${countText(n)} Token`;

/** The currencies any row was charged in, so each gets its own cost chart. */
const currenciesOf = (figures: UsageFigures) => Object.keys(figures.costMicros).filter((c) => figures.costMicros[c] !== 0);

/** A row by its name; one the counters never saw named (a department above the runs' own) by its id. */
const rowName = (row: UsageRow) => row.name || `ID ${row.key}`;

/** A subject summary's rows as its chart's table: every figure the API gives, exact. */
const subjectTable = (first: string, rows: UsageRow[]): Table => ({
  columns: [first, 'ID', '次数', '输入 Token', '输出 Token', '合计 Token', '费用'],
  rows: rows.map((r) => [
    rowName(r),
    r.key,
    countText(r.runs),
    countText(r.inputTokens),
    countText(r.outputTokens),
    countText(r.totalTokens),
    costText(r.costMicros),
  ]),
});

const card = (label: string, value: string, detail = '') =>
  h(
    'div',
    { class: 'stat-card' },
    h('dt', {}, label),
    h('dd', {}, h('span', { class: 'stat-value' }, value), detail ? h('small', { class: 'muted' }, detail) : null),
  );

/**
 * The admin usage view: over a range of days (the current month unless chosen), the totals,
 * tokens and cost by day and by model, and the top users and departments, from the four
 * `GET /ai/usage/summary` groupings (each in the caller's data scope), plus the CSV export.
 */
export const createUsageView = (options: UsageViewOptions) => {
  const form = byId<HTMLFormElement>('usage-filter');
  const begin = byId<HTMLInputElement>('usage-begin');
  const end = byId<HTMLInputElement>('usage-end');
  const status = byId('usage-status');
  const exportButton = byId<HTMLButtonElement>('usage-export');
  let shown: Summaries | null = null;

  const drawCosts = (container: HTMLElement, summary: UsageSummary, draw: (el: HTMLElement, currency: string) => void) => {
    const currencies = currenciesOf(summary.total);
    if (!currencies.length) return container.replaceChildren(h('p', { class: 'chart-empty muted' }, '所选范围没有计费用量（模型未设置价格）'));
    const slots = currencies.map(() => h('div'));
    container.replaceChildren(...slots);
    for (const [i, currency] of currencies.entries()) draw(slots[i]!, currency);
  };

  const render = (s: Summaries) => {
    const t = s.day.total;
    const outcomes = `完成 ${countText(t.completedRuns)} · 停止 ${countText(t.cancelledRuns)} · 失败 ${countText(t.failedRuns)}`;
    byId('usage-totals').replaceChildren(
      card('运行次数', countText(t.runs), t.estimatedRuns ? `${outcomes} · 估算 ${countText(t.estimatedRuns)}` : outcomes),
      card('输入 Token', countText(t.inputTokens), t.cachedTokens ? `缓存 ${countText(t.cachedTokens)}` : ''),
      card('输出 Token', countText(t.outputTokens), t.reasoningTokens ? `思考 ${countText(t.reasoningTokens)}` : ''),
      card('合计 Token', countText(t.totalTokens)),
      card('费用', costText(t.costMicros)),
    );

    const days = s.day.rows;
    const dayLabel = (day: string) => day.slice(5);
    columnChart(byId('chart-day-tokens'), {
      title: '每日 Token',
      summary: `${days.length} 天共 ${tokens(t.totalTokens)}，输入与输出分色堆叠。`,
      categories: days.map((d) => d.key),
      categoryLabel: dayLabel,
      series: [
        { name: '输入', values: days.map((d) => d.inputTokens) },
        { name: '输出', values: days.map((d) => d.outputTokens) },
      ],
      format: tokens,
      axisFormat: compactText,
      table: {
        columns: ['日期', '次数', '输入 Token', '输出 Token', '合计 Token'],
        rows: days.map((d) => [d.key, countText(d.runs), countText(d.inputTokens), countText(d.outputTokens), countText(d.totalTokens)]),
      },
    });
    drawCosts(byId('chart-day-cost'), s.day, (el, currency) => {
      const values = days.map((d) => d.costMicros[currency] ?? 0);
      columnChart(el, {
        title: `每日费用（${currency}）`,
        summary: `${days.length} 天共 ${moneyText(t.costMicros[currency] ?? 0, currency)}。`,
        categories: days.map((d) => d.key),
        categoryLabel: dayLabel,
        series: [{ name: '费用', values }],
        format: (v) => moneyText(v, currency),
        axisFormat: (v) => compactText(v / 1_000_000),
        table: { columns: ['日期', `费用（${currency}）`], rows: days.map((d, i) => [d.key, moneyText(values[i] ?? 0, currency)]) },
      });
    });

    const models = s.model.rows;
    barChart(byId('chart-model-tokens'), {
      title: '各模型 Token',
      summary: models.length ? `${models.length} 个模型，最多的是 ${rowName(models[0]!)}：${tokens(models[0]!.totalTokens)}。` : '',
      bars: models.map((m) => ({ label: rowName(m), value: m.totalTokens })),
      format: tokens,
      table: subjectTable('模型', models),
    });
    drawCosts(byId('chart-model-cost'), s.model, (el, currency) => {
      const ranked = models.map((m) => ({ label: rowName(m), value: m.costMicros[currency] ?? 0 })).sort((a, b) => b.value - a.value);
      barChart(el, {
        title: `各模型费用（${currency}）`,
        summary: `${ranked.length} 个模型，最多的是 ${ranked[0]?.label}：${moneyText(ranked[0]?.value ?? 0, currency)}。`,
        bars: ranked,
        format: (v) => moneyText(v, currency),
        table: { columns: ['模型', `费用（${currency}）`], rows: ranked.map((r) => [r.label, moneyText(r.value, currency)]) },
      });
    });

    const ranking = (id: string, title: string, first: string, rows: UsageRow[]) =>
      barChart(byId(id), {
        title,
        summary: rows.length ? `共 ${rows.length} 个，第一是 ${rowName(rows[0]!)}：${tokens(rows[0]!.totalTokens)}。` : '',
        bars: rows.slice(0, TOP).map((r) => ({ label: rowName(r), value: r.totalTokens })),
        format: tokens,
        table: subjectTable(first, rows),
      });
    ranking('chart-users', `用户排行（前 ${TOP}，按 Token）`, '用户', s.user.rows);
    ranking('chart-depts', `部门排行（前 ${TOP}，含下级部门）`, '部门', s.dept.rows);
  };

  const range = () => ({ beginTime: begin.value || undefined, endTime: end.value || undefined });

  const loads = createLoadOrder();

  const load = async () => {
    const current = loads.begin();
    status.textContent = '加载中…';
    try {
      const summary = (groupBy: 'day' | 'model' | 'user' | 'dept') => options.api.usageSummary({ groupBy, ...range() });
      const [day, model, user, dept] = await Promise.all([summary('day'), summary('model'), summary('user'), summary('dept')]);
      if (!current()) return;
      shown = { day, model, user, dept };
      begin.value = day.beginTime;
      end.value = day.endTime;
      status.textContent = `${day.beginTime} 至 ${day.endTime}`;
      render(shown);
    } catch (err) {
      if (!current()) return;
      status.textContent = errorText(err);
      options.failed(err);
    }
  };

  /** Nothing of the last account's figures stays, not even behind the next account's load. */
  const clear = () => {
    loads.clear();
    shown = null;
    begin.value = '';
    end.value = '';
    status.textContent = '';
    byId('usage-totals').replaceChildren();
    for (const slot of byId('panel-usage').querySelectorAll('.chart-slot')) slot.replaceChildren();
  };

  /** The ledger of the range as CSV (`POST /ai/usage/export`), saved through a link to the file. */
  const download = async () => {
    exportButton.disabled = true;
    try {
      const file = await options.api.exportUsage(range());
      const url = URL.createObjectURL(file);
      // In the document while clicked: older Firefox downloads only from a link that is.
      const link = h('a', { href: url, download: `ai_usage_${begin.value || 'month'}_${end.value || 'today'}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      options.failed(err);
    } finally {
      exportButton.disabled = false;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  exportButton.addEventListener('click', () => void download());
  // Charts are drawn for the width they have: a resized window gets them drawn again.
  let resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = window.setTimeout(() => shown && !form.closest('[hidden]') && render(shown), 200);
  });

  return { load, clear };
};
