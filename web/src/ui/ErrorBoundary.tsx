import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What to show instead of the children once they have thrown. */
  fallback: ReactNode;
  /** Told once, e.g. to switch to another variant. */
  onError?: (error: unknown) => void;
  children: ReactNode;
}

/**
 * Catches render errors below it, including a lazy chunk that cannot be downloaded (a deploy
 * replaced it, the network dropped), so the page shows something useful instead of going blank.
 */
export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('[app] a part of the page failed:', error, info.componentStack);
    this.props.onError?.(error);
  }

  override render(): ReactNode {
    return this.state.failed ? this.props.fallback : this.props.children;
  }
}
