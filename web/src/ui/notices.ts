import { ApiError } from '../api.ts';
import { byId, h } from '../dom.ts';

const DISMISS_AFTER_MS = 8000;

const show = (text: string, kind: 'error' | 'info') => {
  const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': '关闭提示' }, '×');
  const note = h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, text), close);
  const remove = () => note.remove();
  close.addEventListener('click', remove);
  setTimeout(remove, DISMISS_AFTER_MS);
  byId('notices').append(note);
};

/** What an error says to the user: the envelope's `msg` for an ApiError, the message otherwise. */
export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const showError = (err: unknown) => show(errorText(err), 'error');
export const showInfo = (text: string) => show(text, 'info');

export const isAuthError = (err: unknown) => err instanceof ApiError && err.code === 401;
