import type { Api } from '../api.ts';
import { byId } from '../dom.ts';
import type { ChatModel } from '../types.ts';
import { showError, showInfo } from './notices.ts';

export interface ModelTestOptions {
  api: Api;
  selected(): ChatModel | undefined;
  failed(err: unknown): void;
}

/**
 * The button beside the model picker: one minimal request to the selected model's
 * provider with its stored settings (`POST /ai/model/test`, for whoever may edit models).
 * It tells whether the model works and how fast it starts, or the provider's own reason
 * (a wrong model code reads as "model not found"). This page has no model form, so it
 * tests what is saved; a typed key or unsaved code is tested through the API.
 */
export const createModelTest = (options: ModelTestOptions) => {
  const button = byId<HTMLButtonElement>('test-model');
  button.addEventListener('click', async () => {
    const model = options.selected();
    if (!model) return showError('请先选择模型');
    const name = model.modelName || model.modelCode;
    button.disabled = true;
    try {
      const result = await options.api.testModel(model.modelId);
      if (result.passed) showInfo(`${name}：${result.message}`);
      else showError(`${name}：${result.message}`);
    } catch (err) {
      options.failed(err);
    } finally {
      button.disabled = false;
    }
  });
};
