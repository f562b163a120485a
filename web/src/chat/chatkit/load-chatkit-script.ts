/** The element the ChatKit script defines; `@openai/chatkit-react` renders it. */
export const CHATKIT_ELEMENT = 'openai-chatkit';
export const DEFAULT_CHATKIT_SCRIPT_URL = 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js';
/** A script that has not defined the element by then is not coming: the legacy chat takes over. */
export const CHATKIT_SCRIPT_TIMEOUT_MS = 4_000;

function chatKitScriptUrl(): string {
  return import.meta.env.VITE_CHATKIT_SCRIPT_URL || DEFAULT_CHATKIT_SCRIPT_URL;
}

let loading: Promise<void> | null = null;

function injectScript(src: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        script.remove(); // so a later attempt starts clean
        reject(error);
      } else {
        resolve();
      }
    };
    // One clock for both steps: the download and the element's definition (a CDN answering with
    // something that never defines <openai-chatkit> must not leave an empty box forever).
    const timer = setTimeout(() => settle(new Error(`The ChatKit script did not load within ${timeoutMs / 1000} seconds.`)), timeoutMs);
    script.addEventListener('load', () => {
      customElements.whenDefined(CHATKIT_ELEMENT).then(() => settle(null), settle);
    });
    script.addEventListener('error', () => settle(new Error(`The ChatKit script could not be loaded from ${src}.`)));
    script.src = src;
    script.async = true;
    script.dataset.chatkitScript = '';
    document.head.append(script);
  });
}

/**
 * Adds the ChatKit web component's script to the page once (however many times it is asked for)
 * and resolves when `<openai-chatkit>` is defined. Rejects on a load error or after `timeoutMs`;
 * a failed attempt is forgotten so a later one can try again.
 */
export function loadChatKitScript({
  src = chatKitScriptUrl(),
  timeoutMs = CHATKIT_SCRIPT_TIMEOUT_MS,
}: {
  src?: string;
  timeoutMs?: number;
} = {}): Promise<void> {
  if (customElements.get(CHATKIT_ELEMENT)) return Promise.resolve();
  loading ??= injectScript(src, timeoutMs).catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}
