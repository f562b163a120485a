import { useState } from 'react';
import { recordTelemetry } from './telemetry-client';
import './feedback.css';

/**
 * Thumbs up/down under a legacy chat answer, like ChatKit's own (`items.feedback`), so the two
 * variants' feedback compares like for like in the rollout report. Only the rating is sent.
 */
const RATINGS = [
  { value: 'up', label: 'Good answer', className: 'feedback-button' },
  { value: 'down', label: 'Bad answer', className: 'feedback-button feedback-button--down' },
] as const;

export function FeedbackButtons() {
  const [rating, setRating] = useState<'up' | 'down' | null>(null);
  const rate = (next: 'up' | 'down') => {
    if (next === rating) return;
    setRating(next);
    recordTelemetry({ type: 'feedback', rating: next });
  };
  return (
    <div className="message-feedback" role="group" aria-label="Rate this answer">
      {RATINGS.map(({ value, label, className }) => (
        <button
          key={value}
          type="button"
          className={className}
          aria-pressed={rating === value}
          aria-label={label}
          title={label}
          data-testid={`feedback-${value}`}
          onClick={() => rate(value)}
        >
          <ThumbIcon />
        </button>
      ))}
      {rating && (
        <span className="feedback-thanks" role="status">
          Thanks for the feedback
        </span>
      )}
    </div>
  );
}

function ThumbIcon() {
  return (
    <svg
      viewBox="0 0 24 24"
      width="16"
      height="16"
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M7 10v11H4V10h3Zm0 0 4-7a2.5 2.5 0 0 1 3 2.6L13.5 9H19a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.8 20H7" />
    </svg>
  );
}
