// A small Server-Sent Events reader for tests and benchmarks (Node has no EventSource, and the sidecar's
// stream needs an Authorization header): fetch, then split the body into events.
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/**
 * The events of a body, read through `reader`: a reader taken when the response arrives, not when the first
 * event is asked for. Node's fetch (undici) cancels the body of a Response that is garbage collected while
 * nothing reads it, and a cancelled body ends like a finished one: a stream opened and read a little later (a
 * test opening several at once) then ended by itself now and then, when a collection came in between.
 */
async function* readSse(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return;
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
          else if (field === 'data') data.push(value);
        }
        if (data.length === 0) continue;
        event.data = data.join('\n');
        yield event;
      }
    }
  } finally {
    // A reader that stops early closes the stream, as leaving a for-await loop over the body did.
    reader.cancel().catch(() => {});
  }
}

export async function openEvents(
  url: string,
  token: string,
  options: { after?: string; signal?: AbortSignal } = {},
): Promise<AsyncGenerator<SseEvent>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (options.after) headers['last-event-id'] = options.after;
  const response = await fetch(`${url}/api/events`, {
    headers,
    ...(options.signal && { signal: options.signal }),
  });
  if (!response.ok || !response.body) throw new Error(`GET /api/events: ${response.status}`);
  return readSse(response.body.getReader());
}
