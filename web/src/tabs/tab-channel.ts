/**
 * Messages between this app's open tabs (BroadcastChannel, same origin only): one tab signing out
 * signs out the others, and a task change in one tab refreshes the task panel of the others.
 * Where BroadcastChannel does not exist, each tab simply keeps to itself.
 */
export type TabMessage = { type: 'signed-out' } | { type: 'tasks-changed' };

const CHANNEL_NAME = 'calm-orbit';

function isTabMessage(value: unknown): value is TabMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'signed-out' || type === 'tasks-changed';
}

// One channel object per tab for sending and listening: a channel never hears its own messages,
// but it does hear those of another channel object in the same tab.
let channel: BroadcastChannel | null = null;
const listeners = new Set<(message: TabMessage) => void>();

function tabChannel(): BroadcastChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null;
  if (!channel) {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = (event: MessageEvent<unknown>) => {
      if (!isTabMessage(event.data)) return;
      for (const listener of listeners) listener(event.data);
    };
  }
  return channel;
}

/** Tells the other tabs (never this one). */
export function tellOtherTabs(message: TabMessage): void {
  tabChannel()?.postMessage(message);
}

/** Calls `onMessage` for each message another tab sends; returns the unsubscribe. */
export function listenToOtherTabs(onMessage: (message: TabMessage) => void): () => void {
  if (!tabChannel()) return () => {};
  listeners.add(onMessage);
  return () => listeners.delete(onMessage);
}
