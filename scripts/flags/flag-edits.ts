import * as v from 'valibot';
import { FlagsDocumentSchema, type FlagsDocument } from '../../shared/flags';

/**
 * The ops command's edits as pure functions over the `flags` document: validated with the same
 * schema the worker reads, so nothing the command writes can be a value the worker rejects.
 */

export type FlagEdit =
  | { kind: 'rollout'; percent: number }
  | { kind: 'allow'; userId: string }
  | { kind: 'deny'; userId: string }
  | { kind: 'unlist'; userId: string };

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseRolloutPercent(text: string | undefined): number {
  if (text === undefined || !/^\d{1,3}$/.test(text.trim()) || Number(text) > 100) {
    throw new UsageError(`rollout takes a whole number from 0 to 100 (got ${text === undefined ? 'nothing' : JSON.stringify(text)})`);
  }
  return Number(text);
}

export function parseUserId(text: string | undefined): string {
  const id = text?.trim() ?? '';
  if (id === '' || id.length > 256 || /[\s"]/.test(id)) {
    throw new UsageError(`expected a user id (the token's sub), got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  return id;
}

const without = (list: readonly string[], id: string) => list.filter((entry) => entry !== id);

/** Applies one edit; allow and deny are exclusive, so adding to one removes from the other. */
export function applyFlagEdit(current: FlagsDocument, edit: FlagEdit): FlagsDocument {
  const chatkit = { ...current.chatkit };
  switch (edit.kind) {
    case 'rollout':
      chatkit.rollout_percent = edit.percent;
      break;
    case 'allow':
      chatkit.allow_users = [...without(chatkit.allow_users, edit.userId), edit.userId];
      chatkit.deny_users = without(chatkit.deny_users, edit.userId);
      break;
    case 'deny':
      chatkit.deny_users = [...without(chatkit.deny_users, edit.userId), edit.userId];
      chatkit.allow_users = without(chatkit.allow_users, edit.userId);
      break;
    case 'unlist':
      chatkit.allow_users = without(chatkit.allow_users, edit.userId);
      chatkit.deny_users = without(chatkit.deny_users, edit.userId);
      break;
  }
  return v.parse(FlagsDocumentSchema, { ...current, chatkit });
}

/** Human-readable lines for what changed between two documents (empty when nothing did). */
export function describeFlagChanges(before: FlagsDocument, after: FlagsDocument): string[] {
  const lines: string[] = [];
  if (before.chatkit.rollout_percent !== after.chatkit.rollout_percent) {
    lines.push(`chatkit.rollout_percent: ${before.chatkit.rollout_percent} → ${after.chatkit.rollout_percent}`);
  }
  for (const list of ['allow_users', 'deny_users'] as const) {
    for (const id of after.chatkit[list]) if (!before.chatkit[list].includes(id)) lines.push(`chatkit.${list}: + ${id}`);
    for (const id of before.chatkit[list]) if (!after.chatkit[list].includes(id)) lines.push(`chatkit.${list}: - ${id}`);
  }
  return lines;
}
