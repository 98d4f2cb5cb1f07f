import { byId, h } from '../dom.ts';
import { icon } from './icons.ts';
import { errorText, showError } from './notices.ts';

export interface Outgoing {
  text: string;
  /** Upload keys, to pass in the stream request's `images`. */
  imageKeys: string[];
  /** Local previews of the same images, for the message shown right away. */
  previews: string[];
}

export interface ComposerOptions {
  /** Uploads one image and answers its key. */
  upload(file: File): Promise<string>;
  /** The caller's `imageMaxSizeMb`. */
  maxImageMb(): number;
  send(outgoing: Outgoing): void;
  stop(): void;
}

interface Attachment {
  file: File;
  preview: string;
  upload: Promise<string>;
  el: HTMLElement;
}

const MB = 1024 * 1024;
// The service's limits (contract: Images; the stream refuses more than 10 keys).
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const MAX_IMAGES = 10;

/** The message box: Enter sends, Shift+Enter breaks the line; images are checked, previewed and uploaded on attach. */
export const createComposer = (options: ComposerOptions) => {
  const form = byId<HTMLFormElement>('composer');
  const input = byId<HTMLTextAreaElement>('input');
  const fileInput = byId<HTMLInputElement>('file-input');
  const attachButton = byId<HTMLButtonElement>('attach');
  const tray = byId('attachments');
  const sendButton = byId<HTMLButtonElement>('send');
  const stopButton = byId<HTMLButtonElement>('stop');
  let attachments: Attachment[] = [];
  let running = false;
  // Set while a send waits for its uploads, so a second Enter does not send twice.
  let submitting = false;

  const autosize = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };

  const detach = (attachment: Attachment) => {
    attachments = attachments.filter((a) => a !== attachment);
    attachment.el.remove();
    URL.revokeObjectURL(attachment.preview);
  };

  const attach = (file: File) => {
    const limit = options.maxImageMb();
    if (!IMAGE_TYPES.includes(file.type)) return showError(`只支持 png/jpg/gif/webp 图片：${file.name}`);
    if (attachments.length >= MAX_IMAGES) return showError(`一条消息最多 ${MAX_IMAGES} 张图片`);
    if (file.size > limit * MB) return showError(`图片 ${file.name} 超过大小限制 ${limit} MB`);
    const preview = URL.createObjectURL(file);
    const remove = h('button', { type: 'button', class: 'icon-btn attachment-remove', 'aria-label': `移除图片 ${file.name}` }, icon('close'));
    const el = h('div', { class: 'attachment uploading' }, h('img', { src: preview, alt: file.name }), remove);
    const attachment: Attachment = { file, preview, el, upload: options.upload(file) };
    remove.addEventListener('click', () => detach(attachment));
    attachment.upload.then(
      () => el.classList.remove('uploading'),
      (err) => {
        detach(attachment);
        showError(`图片 ${file.name} 上传失败：${errorText(err)}`);
      },
    );
    attachments.push(attachment);
    tray.append(el);
  };

  const submit = async () => {
    const text = input.value.trim();
    if (running || submitting || !text) return;
    const pending = attachments;
    let imageKeys: string[];
    submitting = true;
    try {
      imageKeys = await Promise.all(pending.map((a) => a.upload));
    } catch {
      return; // the failed image was removed and reported; the text stays for another try
    } finally {
      submitting = false;
    }
    input.value = '';
    autosize();
    attachments = [];
    tray.replaceChildren();
    options.send({ text, imageKeys, previews: pending.map((a) => a.preview) });
  };

  input.addEventListener('input', autosize);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === 'Escape' && running) {
      options.stop();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  stopButton.addEventListener('click', () => options.stop());
  attachButton.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    for (const file of fileInput.files ?? []) attach(file);
    fileInput.value = '';
  });

  return {
    setRunning(value: boolean) {
      running = value;
      sendButton.hidden = value;
      stopButton.hidden = !value;
      if (!value) input.focus();
    },
    /** Attaching only makes sense when the model reads images and the config has vision on. */
    setImagesAllowed(allowed: boolean) {
      attachButton.hidden = !allowed;
      if (!allowed) for (const a of [...attachments]) detach(a);
    },
    focus: () => input.focus(),
  };
};
