import type { Access } from '../access.ts';
import { byId } from '../dom.ts';
import { createQuotaEditor, type QuotaEditorOptions } from './quota-editor.ts';
import { createUsageView } from './usage-view.ts';

export type AdminTab = 'usage' | 'quotas';

/** What the quota editor needs (the usage view needs less), and what the view tells the page. */
export interface AdminViewOptions extends Omit<QuotaEditorOptions, 'changed'> {
  quotasChanged(): void;
  /** The view was left (its back button): the chat shows again. */
  closed(): void;
}

const TABS: AdminTab[] = ['usage', 'quotas'];

/**
 * The admin pages in place of the chat: the usage view and the quota editor as two tabs,
 * each shown only to callers the API lets in (access.ts), each loaded when shown.
 */
export const createAdminView = (options: AdminViewOptions) => {
  const view = byId('admin-view');
  const chatView = byId('chat-view');
  const openButton = byId('open-admin');
  const tab = (name: AdminTab) => byId<HTMLButtonElement>(`tab-${name}`);
  const panel = (name: AdminTab) => byId(`panel-${name}`);
  const usage = createUsageView(options);
  const quotas = createQuotaEditor({ ...options, changed: options.quotasChanged });
  let access: Access = { usage: false, quotas: false };

  const select = (name: AdminTab) => {
    for (const other of TABS) {
      tab(other).setAttribute('aria-selected', String(other === name));
      tab(other).tabIndex = other === name ? 0 : -1;
      panel(other).hidden = other !== name;
    }
    history.replaceState(null, '', `#${name}`);
    void (name === 'usage' ? usage.load() : quotas.load());
  };

  const allowedTabs = () => TABS.filter((name) => access[name]);

  for (const name of TABS) tab(name).addEventListener('click', () => select(name));
  // Arrow keys move between the tabs, as a tab list does.
  byId('admin-tabs').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const shown = allowedTabs();
    const current = shown.findIndex((name) => tab(name).getAttribute('aria-selected') === 'true');
    const next = shown[(current + (event.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length];
    if (next) {
      select(next);
      tab(next).focus();
    }
  });
  byId('admin-back').addEventListener('click', () => options.closed());

  return {
    setAccess(next: Access) {
      access = next;
      for (const name of TABS) tab(name).hidden = !access[name];
      openButton.hidden = !allowedTabs().length;
      if (!allowedTabs().length) this.close();
    },
    /** Shows the view at `name`, or at the first tab the caller may use; false when there is none. */
    open(name?: AdminTab): boolean {
      const shown = allowedTabs();
      const chosen = name && shown.includes(name) ? name : shown[0];
      if (!chosen) return false;
      chatView.hidden = true;
      view.hidden = false;
      select(chosen);
      return true;
    },
    close() {
      view.hidden = true;
      chatView.hidden = false;
    },
    /** Another account signs in: what the last one was shown goes. */
    clear() {
      usage.clear();
      quotas.clear();
    },
    isOpen: () => !view.hidden,
  };
};
