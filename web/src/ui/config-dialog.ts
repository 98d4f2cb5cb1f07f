import { byId } from '../dom.ts';
import type { ChatConfig, ChatConfigUpdate, Flag } from '../types.ts';
import { showError } from './notices.ts';

export interface ConfigDialogOptions {
  current(): ChatConfig | null;
  /** Saves and answers once the page has the saved config again. */
  save(config: ChatConfigUpdate): Promise<void>;
}

const flag = (checked: boolean): Flag => (checked ? '0' : '1');

/** Every field of the contract's config object; the read-only ones are shown, not edited. */
export const createConfigDialog = (options: ConfigDialogOptions) => {
  const dialog = byId<HTMLDialogElement>('config-dialog');
  const form = byId<HTMLFormElement>('config-form');
  const field = <T extends HTMLElement>(name: string) => form.elements.namedItem(name) as T;
  const temperature = field<HTMLInputElement>('temperature');
  const history = field<HTMLInputElement>('addHistoryToContext');
  const historyRuns = field<HTMLInputElement>('numHistoryRuns');
  const systemPrompt = field<HTMLTextAreaElement>('systemPrompt');
  const metrics = field<HTMLInputElement>('metricsDefaultVisible');
  const vision = field<HTMLInputElement>('visionEnabled');
  const imageMax = field<HTMLInputElement>('imageMaxSizeMb');
  const saveButton = byId<HTMLButtonElement>('config-save');

  const fill = (config: ChatConfig) => {
    temperature.value = config.temperature === null ? '' : String(config.temperature);
    history.checked = config.addHistoryToContext === '0';
    historyRuns.value = String(config.numHistoryRuns);
    systemPrompt.value = config.systemPrompt ?? '';
    metrics.checked = config.metricsDefaultVisible === '0';
    vision.checked = config.visionEnabled === '0';
    imageMax.value = String(config.imageMaxSizeMb);
    byId('config-id').textContent = config.chatConfigId === null ? '未保存' : String(config.chatConfigId);
    byId('config-user').textContent = String(config.userId ?? '');
    byId('config-created').textContent = config.createTime ?? '—';
    byId('config-updated').textContent = config.updateTime ?? '—';
  };

  const read = (base: ChatConfig): ChatConfigUpdate => ({
    ...base,
    temperature: temperature.value.trim() === '' ? null : Number(temperature.value),
    addHistoryToContext: flag(history.checked),
    numHistoryRuns: Number(historyRuns.value),
    systemPrompt: systemPrompt.value.trim() === '' ? null : systemPrompt.value,
    metricsDefaultVisible: flag(metrics.checked),
    visionEnabled: flag(vision.checked),
    imageMaxSizeMb: Number(imageMax.value),
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const base = options.current();
    if (!base || !form.reportValidity()) return;
    saveButton.disabled = true;
    try {
      await options.save(read(base));
      dialog.close();
    } catch (err) {
      showError(err);
    } finally {
      saveButton.disabled = false;
    }
  });
  byId('config-cancel').addEventListener('click', () => dialog.close());

  return {
    open() {
      const config = options.current();
      if (!config) return showError('对话设置尚未加载');
      fill(config);
      dialog.showModal();
    },
  };
};
