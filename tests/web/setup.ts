import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import './support/dom-matchers';

interface HappyDomWindow {
  happyDOM: { settings: { disableJavaScriptFileLoading: boolean; handleDisabledFileLoadingAsSuccess: boolean } };
}

// Tests never download real scripts (the ChatKit CDN): a <script src> fails at once instead, which
// is exactly the "CDN unreachable" case. Tests that need ChatKit define <openai-chatkit> themselves.
const { settings } = (globalThis as unknown as HappyDomWindow).happyDOM;
settings.disableJavaScriptFileLoading = true;
settings.handleDisabledFileLoadingAsSuccess = false;

// findBy*/waitFor deadlines: the whole suite shares two cores with workerd and Chromium, where
// lazy chunks can take well over the default second to resolve. A deadline, never a timing check.
configure({ asyncUtilTimeout: 10_000 });

afterEach(() => {
  cleanup();
  // The open conversation lives in the URL (/chat/<id>): every test starts on a new chat.
  window.history.replaceState(null, '', '/');
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
