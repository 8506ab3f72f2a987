// A small Server-Sent Events reader for tests and benchmarks (Node has no EventSource, and the sidecar's
// stream needs an Authorization header): fetch, then split the body into events.
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
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
  return readSse(response.body);
}
