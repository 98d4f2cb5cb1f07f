import type { Api } from './api.ts';
import type { Connection } from './connection.ts';
import { byId } from './dom.ts';
import { openChatStream } from './stream.ts';
import type { SessionDetail, StreamEvent } from './types.ts';
import type { Outgoing } from './ui/composer.ts';
import { assistantMessage, userMessage, type AssistantView } from './ui/messages.ts';
import { errorText, showError } from './ui/notices.ts';

export interface ChatOptions {
  api: Api;
  connection(): Connection;
  /** The stream named the session (a new one, or the open one). */
  sessionStarted(sessionId: string): void;
  runEnded(): void;
  runningChanged(running: boolean): void;
  failed(err: unknown): void;
}

interface Run {
  abort: AbortController;
  runId: string | null;
  stopping: boolean;
  view: AssistantView;
}

const STICK_TO_BOTTOM_PX = 80;

/** The conversation pane: shows a session's messages and runs one streamed reply at a time. */
export const createChat = (options: ChatOptions) => {
  const pane = byId('messages');
  const list = byId('message-list');
  const emptyState = byId('empty-state');
  let sessionId: string | null = null;
  let run: Run | null = null;

  const nearBottom = () => pane.scrollHeight - pane.scrollTop - pane.clientHeight < STICK_TO_BOTTOM_PX;
  // After the message's own render (also queued for the next frame).
  const scrollDown = () => requestAnimationFrame(() => (pane.scrollTop = pane.scrollHeight));

  const append = (...nodes: HTMLElement[]) => {
    list.append(...nodes);
    emptyState.hidden = true;
    scrollDown();
  };

  const show = (detail: SessionDetail | null) => {
    sessionId = detail?.sessionId ?? null;
    list.replaceChildren();
    emptyState.hidden = !!detail?.messages.length;
    for (const message of detail?.messages ?? []) {
      if (message.role === 'user') list.append(userMessage(message.content ?? '', message.images ?? []));
      else if (message.role === 'assistant') {
        list.append(
          assistantMessage({ content: message.content ?? '', reasoning: message.reasoningContent ?? '', metrics: message.metrics, streaming: false }).el,
        );
      }
    }
    scrollDown();
  };

  const apply = (current: Run, event: StreamEvent) => {
    switch (event.type) {
      case 'meta':
        if (event.session_id !== sessionId) {
          sessionId = event.session_id;
          options.sessionStarted(sessionId);
        }
        break;
      case 'run_info':
        current.runId = event.run_id;
        break;
      case 'reasoning':
        current.view.appendReasoning(event.content);
        break;
      case 'content':
        current.view.appendContent(event.content);
        break;
      case 'metrics':
        current.view.setMetrics(event.metrics);
        break;
      case 'error':
        current.view.setNote(event.error, 'error');
        showError(event.error);
        break;
      case 'notice':
        current.view.addNotice(event.notice);
        break;
      default:
        // A line type added to the contract (wire/stream-lines.ts) must be handled here too.
        event satisfies never;
    }
  };

  const send = async (outgoing: Outgoing, modelId: number, isReasoning: boolean) => {
    if (run) return;
    const view = assistantMessage({ streaming: true });
    append(userMessage(outgoing.text, outgoing.previews), view.el);
    const current: Run = { abort: new AbortController(), runId: null, stopping: false, view };
    run = current;
    options.runningChanged(true);
    try {
      const events = await openChatStream(
        options.connection(),
        { modelId, message: outgoing.text, sessionId, isReasoning, images: outgoing.imageKeys.length ? outgoing.imageKeys : null },
        current.abort.signal,
      );
      for await (const event of events) {
        const stick = nearBottom();
        apply(current, event);
        if (stick) scrollDown();
      }
    } catch (err) {
      // An abort is what stopping does; anything else is an error the user must see.
      if (!current.stopping) {
        view.setNote(errorText(err), 'error');
        options.failed(err);
      }
    } finally {
      if (current.stopping) view.setNote('已停止生成', 'stopped');
      view.finish();
      run = null;
      options.runningChanged(false);
      options.runEnded();
    }
  };

  /** As the RuoYi view does: ask the service to cancel the run first, then abort the fetch. */
  const stop = async () => {
    const current = run;
    if (!current || current.stopping) return;
    current.stopping = true;
    if (current.runId) {
      try {
        await options.api.cancel(current.runId);
      } catch (err) {
        showError(err);
      }
    }
    current.abort.abort();
  };

  return {
    show,
    send,
    stop,
    running: () => run !== null,
    sessionId: () => sessionId,
  };
};
