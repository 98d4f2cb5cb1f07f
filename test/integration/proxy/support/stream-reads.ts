export interface StreamReads {
  /** The type of every line, in order. */
  lines: Record<string, any>[];
  /** For each read from the socket, the types of the lines it completed. */
  reads: string[][];
}

/**
 * Reads an NDJSON body as RuoYi's chat page does (reader.read() until done, lines split
 * on `\n`), remembering which lines each read completed: a proxy that holds the reply
 * back shows up as many lines completed by one read. `stopWhen` may end the reading early.
 */
export const readStream = async (res: Response, stopWhen?: (lines: Record<string, any>[]) => boolean): Promise<StreamReads> => {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const out: StreamReads = { lines: [], reads: [] };
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    const completed = parts.filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);
    out.lines.push(...completed);
    out.reads.push(completed.map((l) => String(l.type)));
    if (stopWhen?.(out.lines)) break;
  }
  return out;
};

/** Index of the first read that completed a line of this type; -1 if none did. */
export const readOf = (reads: string[][], type: string) => reads.findIndex((types) => types.includes(type));
