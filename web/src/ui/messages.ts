import { h } from '../dom.ts';
import { renderMarkdown } from '../markdown.ts';
import type { RunMetrics } from '../types.ts';

const fmtSeconds = (s: number) => `${s.toFixed(2)} s`;

/**
 * The metrics line under a reply; the page hides it with CSS unless the config asks for it.
 * A run that reported no usage (a stopped one) shows its times only, not zero tokens.
 */
export const metricsText = (m: RunMetrics) => {
  const tokens = m.totalTokens
    ? [`输入 ${m.inputTokens ?? 0}`, `输出 ${m.outputTokens ?? 0}`, m.reasoningTokens ? `思考 ${m.reasoningTokens}` : '', `合计 ${m.totalTokens} tokens`]
    : [];
  const times = [
    m.duration !== undefined ? `耗时 ${fmtSeconds(m.duration)}` : '',
    m.timeToFirstToken !== undefined ? `首字 ${fmtSeconds(m.timeToFirstToken)}` : '',
  ];
  return [...tokens, ...times].filter(Boolean).join(' · ');
};

export const userMessage = (text: string, imageUrls: string[]) =>
  h(
    'article',
    { class: 'msg msg-user', 'aria-label': '你的消息' },
    imageUrls.length ? h('div', { class: 'msg-images' }, ...imageUrls.map((src) => h('img', { src, alt: '附图', loading: 'lazy' }))) : null,
    h('div', { class: 'msg-text' }, text),
  );

export interface AssistantView {
  el: HTMLElement;
  appendReasoning(text: string): void;
  appendContent(text: string): void;
  setMetrics(metrics: RunMetrics): void;
  /** How the reply ended, when not as it should (stopped, failed). */
  setNote(text: string, kind: 'stopped' | 'error'): void;
  /** Something to know that does not end the reply (a soft quota passed): kept beside whatever note the end brings. */
  addNotice(text: string): void;
  finish(): void;
}

/** A reply: reasoning in a collapsible block, Markdown body re-rendered at most once a frame while it streams. */
export const assistantMessage = (initial: { content?: string; reasoning?: string; metrics?: RunMetrics | null; streaming: boolean }): AssistantView => {
  let content = initial.content ?? '';
  let reasoning = initial.reasoning ?? '';
  const reasoningText = h('div', { class: 'reasoning-text' });
  const reasoningBlock = h('details', { class: 'reasoning', hidden: !reasoning, open: initial.streaming }, h('summary', {}, '思考过程'), reasoningText);
  const body = h('div', { class: 'msg-body markdown' });
  const metrics = h('div', { class: 'metrics', hidden: true });
  const note = h('div', { class: 'msg-note', hidden: true });
  const notices = h('div', { class: 'msg-notices', role: 'status' });
  const el = h(
    'article',
    { class: `msg msg-assistant${initial.streaming ? ' streaming' : ''}`, 'aria-label': '回复' },
    reasoningBlock,
    body,
    notices,
    note,
    metrics,
  );

  let frame = 0;
  const render = () => {
    frame = 0;
    reasoningText.textContent = reasoning;
    reasoningBlock.hidden = !reasoning;
    body.innerHTML = renderMarkdown(content);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  const setMetrics = (m: RunMetrics) => {
    metrics.textContent = metricsText(m);
    metrics.hidden = !metrics.textContent;
  };
  render();
  if (initial.metrics) setMetrics(initial.metrics);

  return {
    el,
    appendReasoning(text) {
      reasoning += text;
      schedule();
    },
    appendContent(text) {
      content += text;
      schedule();
    },
    setMetrics,
    setNote(text, kind) {
      note.textContent = text;
      note.className = `msg-note ${kind}`;
      note.hidden = false;
    },
    addNotice(text) {
      notices.append(h('p', { class: 'msg-note notice' }, text));
    },
    finish() {
      if (frame) cancelAnimationFrame(frame);
      render();
      el.classList.remove('streaming');
    },
  };
};
