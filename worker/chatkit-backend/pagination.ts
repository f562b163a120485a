import type { Page, SortOrder } from '../../shared/chatkit';
import { ApiError } from '../lib/errors';

/**
 * ChatKit's cursor pagination over a list the origin returns whole (its `/api/v1` has no paging):
 * `order` (default `desc`), `limit` (null or 0 → 20), `after` = the id of the last element of the
 * previous page; the next page holds the elements strictly after it, in the same order.
 */

export const DEFAULT_PAGE_SIZE = 20;

export interface PageRequest {
  limit?: number | null | undefined;
  order?: SortOrder | null | undefined;
  after?: string | null | undefined;
}

/** Compares ISO times by instant (offsets allowed), falling back to text when unparsable. */
export function compareTimes(a: string, b: string): number {
  const at = Date.parse(a);
  const bt = Date.parse(b);
  if (Number.isNaN(at) || Number.isNaN(bt)) return a < b ? -1 : a > b ? 1 : 0;
  return at - bt;
}

/**
 * One page of `ascending` (oldest first). `positionOf(after)` finds the cursor's index in
 * `ascending` (-1 when it is not there); an unknown cursor is a 400, never a silent first page,
 * because the client would then show duplicates.
 */
export function paginate<T extends { id: string }>(
  ascending: readonly T[],
  request: PageRequest,
  positionOf: (after: string) => number = (after) => ascending.findIndex((element) => element.id === after),
): Page<T> {
  const limit = request.limit || DEFAULT_PAGE_SIZE;
  const order = request.order ?? 'desc';
  const ordered = order === 'asc' ? [...ascending] : [...ascending].reverse();

  let start = 0;
  if (request.after) {
    const ascendingIndex = positionOf(request.after);
    if (ascendingIndex === -1) throw new ApiError('bad_request', '`after` does not name an element of this list.');
    const orderedIndex = order === 'asc' ? ascendingIndex : ascending.length - 1 - ascendingIndex;
    start = orderedIndex + 1;
  }

  const data = ordered.slice(start, start + limit);
  const hasMore = start + limit < ordered.length;
  const last = data.at(-1);
  return hasMore && last ? { data, has_more: true, after: last.id } : { data, has_more: false };
}
