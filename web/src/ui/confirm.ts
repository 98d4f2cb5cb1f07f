import { byId } from '../dom.ts';

/** Asks in the page's own confirm dialog; resolves true only for the confirm button. */
export const confirmAction = (message: string): Promise<boolean> => {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  byId('confirm-message').textContent = message;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true }));
};
