/** The provider sent more than a reply may hold: the call is stopped, what fit is kept. */
export class ReplyTooLongError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyTooLongError';
  }
}

export interface ReplyBounds {
  /** UTF-16 units of content and reasoning together. */
  maxChars: number;
  /** UTF-8 bytes of content and reasoning together. */
  maxBytes: number;
}

export interface ReplyLimit {
  /**
   * The part of `text` that still fits in the reply (all of it, usually). Once a text does
   * not fit whole, `exceeded` is true and every later text is refused.
   */
  take(text: string): string;
  readonly exceeded: boolean;
}

const encoder = new TextEncoder();

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** The longest prefix of `text` within `chars` units and `bytes` UTF-8 bytes, never half a surrogate pair. */
const prefixWithin = (text: string, chars: number, bytes: number): string => {
  const byBytes = encoder.encodeInto(text, new Uint8Array(Math.max(0, Math.min(bytes, text.length * 3)))).read;
  let end = Math.max(0, Math.min(chars, byBytes));
  if (end > 0 && end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
};

/** Counts a reply's text as it arrives against its bounds: one addition and one native byte count per token. */
export const createReplyLimit = (bounds: ReplyBounds): ReplyLimit => {
  let chars = 0;
  let bytes = 0;
  let exceeded = false;
  return {
    take(text) {
      if (exceeded) return '';
      const size = Buffer.byteLength(text);
      if (chars + text.length <= bounds.maxChars && bytes + size <= bounds.maxBytes) {
        chars += text.length;
        bytes += size;
        return text;
      }
      exceeded = true;
      return prefixWithin(text, bounds.maxChars - chars, bounds.maxBytes - bytes);
    },
    get exceeded() {
      return exceeded;
    },
  };
};
