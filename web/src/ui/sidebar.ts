import { byId, h, shortTime } from '../dom.ts';
import type { SessionItem } from '../types.ts';
import { icon } from './icons.ts';

export interface SidebarActions {
  open(sessionId: string): void;
  remove(session: SessionItem): void;
}

/** The session list, in the order the API gives it (newest first). */
export const createSidebar = (actions: SidebarActions) => {
  const list = byId<HTMLUListElement>('session-list');
  const empty = byId('session-empty');
  let active: string | null = null;

  const markActive = () => {
    for (const item of list.querySelectorAll<HTMLElement>('li')) {
      const current = item.dataset.sessionId === active;
      item.classList.toggle('active', current);
      item.querySelector('.session-open')?.toggleAttribute('aria-current', current);
    }
  };

  const row = (session: SessionItem) => {
    const title = session.sessionTitle || '新对话';
    return h(
      'li',
      { 'data-session-id': session.sessionId },
      h(
        'button',
        { type: 'button', class: 'session-open', title, onclick: () => actions.open(session.sessionId) },
        h('span', { class: 'session-title' }, title),
        h('time', { datetime: session.updatedAt ?? undefined }, shortTime(session.updatedAt)),
      ),
      h(
        'button',
        { type: 'button', class: 'icon-btn session-delete', 'aria-label': `删除会话：${title}`, onclick: () => actions.remove(session) },
        icon('trash'),
      ),
    );
  };

  return {
    render(sessions: SessionItem[]) {
      list.replaceChildren(...sessions.map(row));
      empty.hidden = sessions.length > 0;
      markActive();
    },
    setActive(sessionId: string | null) {
      active = sessionId;
      markActive();
    },
  };
};
