import { forgetConnection, saveConnection, type Connection } from '../connection.ts';
import { byId } from '../dom.ts';

export interface ConnectionDialogOptions {
  current(): Connection;
  /** Called after the user saved or reset, to load everything again. */
  changed(): void;
}

/** Sign-in: the token (the local dev token is filled in) and the API and stream base URLs. */
export const createConnectionDialog = (options: ConnectionDialogOptions) => {
  const dialog = byId<HTMLDialogElement>('connection-dialog');
  const form = byId<HTMLFormElement>('connection-form');
  const apiBase = byId<HTMLInputElement>('conn-api');
  const stream = byId<HTMLInputElement>('conn-stream');
  const token = byId<HTMLTextAreaElement>('conn-token');

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    saveConnection({ apiBaseUrl: apiBase.value, streamUrl: stream.value, token: token.value });
    dialog.close();
    options.changed();
  });
  byId('conn-reset').addEventListener('click', () => {
    forgetConnection();
    dialog.close();
    options.changed();
  });
  byId('conn-cancel').addEventListener('click', () => dialog.close());

  return {
    open(reason?: string) {
      const connection = options.current();
      apiBase.value = connection.apiBaseUrl;
      stream.value = connection.streamUrl;
      token.value = connection.token;
      const why = byId('conn-reason');
      why.textContent = reason ?? '';
      why.hidden = !reason;
      if (!dialog.open) dialog.showModal();
    },
  };
};
