/** A calm placeholder while something loads; announced once to screen readers via its label. */
export function ChatSkeleton({ label }: { label: string }) {
  return (
    <div className="chat-skeleton" role="status" aria-label={label} data-testid="chat-skeleton">
      <div className="skeleton-line skeleton-line--short" />
      <div className="skeleton-bubble" />
      <div className="skeleton-bubble skeleton-bubble--right" />
      <div className="skeleton-bubble" />
      <div className="skeleton-composer" />
    </div>
  );
}

export function PageSkeleton({ label }: { label: string }) {
  return (
    <div className="page-skeleton" role="status" aria-label={label}>
      <div className="brand-mark brand-mark--pulse" aria-hidden="true" />
    </div>
  );
}
