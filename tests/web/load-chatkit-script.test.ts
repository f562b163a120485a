import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHATKIT_ELEMENT, DEFAULT_CHATKIT_SCRIPT_URL, loadChatKitScript } from '../../web/src/chat/chatkit/load-chatkit-script';

// The CDN is "unreachable" here (see setup.ts). Only the last test defines <openai-chatkit>, and
// a custom element cannot be undefined: keep it last. The app-level fallback test lives in
// chatkit-fallback.test.tsx, where the element never exists.

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});

describe('loadChatKitScript', () => {
  it('adds the CDN script once, however many callers ask, and rejects when it fails to load', async () => {
    const append = vi.spyOn(document.head, 'append');
    const first = loadChatKitScript();
    const second = loadChatKitScript();
    expect(second).toBe(first);
    expect(append).toHaveBeenCalledTimes(1);
    const script = append.mock.calls[0]?.[0] as HTMLScriptElement;
    expect(script.tagName).toBe('SCRIPT');
    expect(script.getAttribute('src')).toBe(DEFAULT_CHATKIT_SCRIPT_URL);
    expect(script.async).toBe(true);

    await expect(first).rejects.toThrow(/could not be loaded/);
    // The failed tag is removed and forgotten, so a later attempt starts over.
    expect(script.isConnected).toBe(false);
    await expect(loadChatKitScript()).rejects.toThrow(/could not be loaded/);
    expect(append).toHaveBeenCalledTimes(2);
  });

  it('gives up after the timeout when the script neither loads nor fails', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(document.head, 'append').mockImplementation(() => {}); // a request that hangs
    const loading = loadChatKitScript({ timeoutMs: 8_000 });
    const outcome = expect(loading).rejects.toThrow('did not load within 8 seconds');
    await vi.advanceTimersByTimeAsync(8_000);
    await outcome;
  });

  it('resolves once the script has loaded and defined the element (keep this test last)', async () => {
    vi.spyOn(document.head, 'append').mockImplementation((script) => {
      queueMicrotask(() => {
        customElements.define(CHATKIT_ELEMENT, class extends HTMLElement {});
        (script as HTMLScriptElement).dispatchEvent(new Event('load'));
      });
    });
    await expect(loadChatKitScript()).resolves.toBeUndefined();
    await expect(loadChatKitScript()).resolves.toBeUndefined(); // already defined: nothing to add
    expect(document.head.append).toHaveBeenCalledTimes(1);
  });
});
