// What the network page knows: the newest valid stats snapshot and the recent feed windows. Every message
// from the server is checked against the federation contract; an invalid one is counted and ignored.
import {
  FeedMessageSchema,
  MAX_PUBLISHED_BYTES,
  parseMessage,
  StatsMessageSchema,
  type FeedMessage,
  type StatsMessage,
} from '../../../../protocol/federation.ts';

/** Feed windows kept (one hour of 5-minute windows); each holds at most MAX_FEED_TASKS tasks. */
export const MAX_FEED_WINDOWS = 12;

export type MessageKind = 'stats' | 'feed';

export interface NetworkView {
  stats?: StatsMessage;
  /** Local time the shown stats arrived. */
  statsReceivedMs?: number;
  /** Newest window first, at most MAX_FEED_WINDOWS. */
  feed: FeedMessage[];
  /** Messages refused (oversize, not JSON, not the contract's shape). */
  invalid: number;
  /** Why the last one was refused. */
  lastInvalid?: string;
}

export function emptyView(): NetworkView {
  return { feed: [], invalid: 0 };
}

/** The view after one message from the server (the latest stored one or a live one). */
export function receive(
  view: NetworkView,
  kind: MessageKind,
  payload: Uint8Array,
  nowMs: number,
): NetworkView {
  if (kind === 'stats') {
    const parsed = parseMessage(StatsMessageSchema, payload, MAX_PUBLISHED_BYTES);
    if (!parsed.ok) return refuse(view, kind, parsed.detail);
    // The stored snapshot may arrive after a newer live one: never go back in time.
    if (view.stats && Date.parse(parsed.message.at) < Date.parse(view.stats.at)) return view;
    return { ...view, stats: parsed.message, statsReceivedMs: nowMs };
  }
  const parsed = parseMessage(FeedMessageSchema, payload, MAX_PUBLISHED_BYTES);
  if (!parsed.ok) return refuse(view, kind, parsed.detail);
  return { ...view, feed: mergeFeed(view.feed, parsed.message) };
}

function refuse(view: NetworkView, kind: MessageKind, detail: string): NetworkView {
  return { ...view, invalid: view.invalid + 1, lastInvalid: `${kind}: ${detail}` };
}

/** One window replaces an earlier copy of itself (a message read twice); newest first; bounded. */
export function mergeFeed(feed: readonly FeedMessage[], message: FeedMessage): FeedMessage[] {
  return [message, ...feed.filter((m) => m.window !== message.window)]
    .sort((a, b) => (a.window < b.window ? 1 : a.window > b.window ? -1 : 0))
    .slice(0, MAX_FEED_WINDOWS);
}
