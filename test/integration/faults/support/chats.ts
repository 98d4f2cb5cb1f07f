import { randomUUID } from 'node:crypto';
import { type Random, seeded } from './random.ts';

/** How a chat names its session. */
export type SessionKind = 'new' | 'client-id' | 'follow-up';

/** What the reply is like, as the offline model server is told to produce it. */
export type ReplyKind = 'short' | 'reasoning' | 'cjk' | 'long' | '300kb' | 'provider-fails' | 'stopped';

export interface ChatSpec {
  index: number;
  user: number;
  session: SessionKind;
  /** For a follow-up: the chat whose session it continues (a new session if that one had none). */
  parent?: number;
  /** For a client-made id: the id the page made up. */
  clientSessionId?: string;
  reply: ReplyKind;
  message: string;
  isReasoning: boolean;
  /** Press stop after this many content lines. */
  stopAfter?: number;
  /** Ms after the schedule's start this chat is sent. */
  startAfterMs: number;
}

const CJK_WORDS = ['数据库', '故障', '你好世界', '回复内容', '测试会话', '存储服务', '深度思考', '中文字符'];
/** About 150 bytes of CJK per word: 2,000 of them make a reply of about 300 KB. */
const BIG_WORD = '存储服务暂时不可用时回复不能丢失这是一个很长的中文词语用来构成大回复'.repeat(2).slice(0, 50);

const messageFor = (reply: ReplyKind, random: Random): string => {
  switch (reply) {
    case 'short':
      return `[[interval=5 chunks=${random.int(10, 40)}]] hello there`;
    case 'reasoning':
      return `[[interval=5 chunks=${random.int(20, 60)} reasoning]] think about it`;
    case 'cjk':
      return `[[interval=5 chunks=${random.int(20, 80)}]] ${Array.from({ length: 6 }, () => random.pick(CJK_WORDS)).join(' ')}`;
    case 'long':
      return `[[interval=1 chunks=${random.int(800, 1_500)}]] tell me a long story`;
    case '300kb':
      return `[[interval=0 chunks=2000]] ${BIG_WORD}`;
    case 'provider-fails':
      return random.chance(0.5)
        ? `[[interval=5 chunks=200 fail_after=${random.int(3, 30)}]] go`
        : `[[interval=5 chunks=200 error_after=${random.int(3, 30)}]] go`;
    case 'stopped':
      return `[[interval=10 chunks=2000]] keep talking`;
    default:
      return reply satisfies never;
  }
};

const REPLIES: readonly ReplyKind[] = ['short', 'short', 'reasoning', 'cjk', 'long', '300kb', 'provider-fails', 'stopped'];

/** A window (ms after the schedule's start) in which a quarter of the chats are made to end: started before it, streaming into it. */
export interface EndWindow {
  fromMs: number;
  toMs: number;
}

/**
 * A seeded mix of chats for one schedule: new sessions, client-made ids and follow-ups of
 * earlier chats, over every kind of reply (reasoning, CJK, long, 300 KB, a provider
 * failing mid-reply, stopped by the user), sent over `spreadMs`, `users` users each.
 * With `endInside`, the first quarter are long replies started before the window that
 * end inside it (an outage across the end of several runs).
 */
export const chatMix = (seed: number, count: number, firstUser: number, users: number, spreadMs: number, endInside?: EndWindow): ChatSpec[] => {
  const random = seeded(seed);
  const chats: ChatSpec[] = [];
  for (let index = 0; index < count; index++) {
    const user = firstUser + (index % users);
    const earlier = chats.filter((c) => c.user === user);
    const session: SessionKind = earlier.length && random.chance(0.3) ? 'follow-up' : random.pick<SessionKind>(['new', 'client-id']);
    const reply = REPLIES[index % REPLIES.length]!;
    if (endInside && index < count / 4) {
      const startAfterMs = random.int(0, Math.round(endInside.fromMs * 0.8));
      const endAt = random.int(endInside.fromMs + 200, endInside.toMs);
      chats.push({
        index,
        user,
        session: 'new',
        reply: 'long',
        message: `[[interval=20 chunks=${Math.max(1, Math.round((endAt - startAfterMs) / 20))}]] still talking when storage goes`,
        isReasoning: false,
        startAfterMs,
      });
      continue;
    }
    chats.push({
      index,
      user,
      session,
      parent: session === 'follow-up' ? random.pick(earlier).index : undefined,
      clientSessionId: session === 'client-id' ? randomUUID() : undefined,
      reply,
      message: messageFor(reply, random),
      isReasoning: reply === 'reasoning' || random.chance(0.2),
      stopAfter: reply === 'stopped' ? random.int(3, 20) : undefined,
      startAfterMs: Math.round((index / count) * spreadMs),
    });
  }
  return chats;
};
