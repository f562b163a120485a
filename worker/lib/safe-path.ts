/**
 * Decides whether a request path may be forwarded under a prefix such as `/api/v1/`.
 *
 * The runtime's URL parser already resolves literal and `%2e` dot segments, but the origin's
 * framework may decode again, so every segment is decoded until stable (catching `%252e`)
 * and NFKC-folded (catching fullwidth and other look-alike dots) before it is checked.
 * A segment that is empty (`//`), a dot segment (also followed by `;params`), or hides a slash,
 * backslash or control character makes the whole path unsafe; it is refused, never "cleaned"
 * and forwarded.
 */
export function isSafeProxyPath(pathname: string, prefix: string): boolean {
  if (!pathname.startsWith(prefix)) return false;
  if (pathname.includes('\\')) return false;
  const rest = pathname.slice(prefix.length);
  if (rest === '') return true;
  const segments = rest.split('/');
  return segments.every((segment, index) => {
    // A single trailing slash (`/api/v1/tasks/`) is harmless; `//` anywhere else is not.
    if (segment === '') return index === segments.length - 1 && index > 0;
    const decoded = decodeFully(segment);
    if (decoded === null) return false;
    const folded = decoded.normalize('NFKC');
    // Servlet containers (Tomcat, Jetty, Spring) drop `;params` before resolving dot segments,
    // so `..;` and `..;x=1` climb out of the prefix there just like `..`.
    const bare = folded.split(';', 1)[0];
    if (bare === '.' || bare === '..') return false;
    return !/[/\\\u0000-\u001f\u007f]/.test(folded);
  });
}

/** Percent-decodes repeatedly (at most 4 times); null when the encoding is broken. */
function decodeFully(segment: string): string | null {
  let current = segment;
  for (let round = 0; round < 4; round += 1) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return null;
    }
    if (next === current) return current;
    current = next;
  }
  return /%[0-9a-f]{2}/i.test(current) ? null : current;
}
