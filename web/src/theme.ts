/**
 * The app's look in one place (from the seed design), shared by the CSS (same values in
 * styles.css :root) and ChatKit's theme option, so both chats look like the same app.
 */
export const BRAND_COLORS = {
  primary: '#3b82f6',
  text: '#1f2937',
  surface: '#ffffff',
  border: '#e5e7eb',
} as const;

/** Inter when the device has it; no web-font download (the CSP allows fonts from 'self' only). */
export const FONT_STACK = 'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
