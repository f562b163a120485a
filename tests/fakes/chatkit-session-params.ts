/**
 * Server-side validation of `POST /v1/chatkit/sessions` bodies and resolution
 * of the returned ChatSession, following the constraints published for the
 * real endpoint (openai SDK types + API reference: user minLength 1,
 * expires_after.seconds 1..600, file_upload.max_file_size 1..512, ...).
 *
 * Like the real API the schema is closed: unknown keys are rejected, which is
 * what catches a typo'd field in the worker before production does.
 */
import { randomBytes } from 'node:crypto';
import type { ChatSession, SessionCreateParams } from 'openai/resources/beta/chatkit';
import { isJsonObject } from '../../shared/json';
import { openAIError, type OpenAIErrorResponse } from './openai-errors';

type Schema =
  | { kind: 'string'; minLength?: number; maxLength?: number }
  | { kind: 'integer'; minimum?: number; maximum?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'primitive'; maxStringLength: number }
  | { kind: 'record'; maxKeyLength: number; values: Schema }
  | { kind: 'object'; properties: Record<string, Schema>; required?: readonly string[] };

const bool: Schema = { kind: 'boolean' };
const object = (properties: Record<string, Schema>, required: readonly string[] = []): Schema => ({
  kind: 'object',
  properties,
  required,
});

const sessionCreateSchema: Schema = object(
  {
    user: { kind: 'string', minLength: 1 },
    workflow: object(
      {
        id: { kind: 'string' },
        version: { kind: 'string' },
        state_variables: { kind: 'record', maxKeyLength: 64, values: { kind: 'primitive', maxStringLength: 10_485_760 } },
        tracing: object({ enabled: bool }),
      },
      ['id'],
    ),
    chatkit_configuration: object({
      automatic_thread_titling: object({ enabled: bool }),
      file_upload: object({
        enabled: bool,
        max_file_size: { kind: 'integer', minimum: 1, maximum: 512 },
        max_files: { kind: 'integer', minimum: 1 },
      }),
      history: object({ enabled: bool, recent_threads: { kind: 'integer', minimum: 1 } }),
    }),
    expires_after: object({ anchor: { kind: 'enum', values: ['created_at'] }, seconds: { kind: 'integer', minimum: 1, maximum: 600 } }, ['anchor', 'seconds']),
    rate_limits: object({ max_requests_per_1_minute: { kind: 'integer', minimum: 1 } }),
  },
  ['user', 'workflow'],
);

/** OpenAI's wording for a JSON value's type in "expected X, but got Y" messages. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a decimal';
    default:
      return 'an object';
  }
}

const invalidType = (path: string, expected: string, value: unknown) =>
  openAIError(400, `Invalid type for '${path}': expected ${expected}, but got ${describeType(value)} instead.`, {
    param: path,
    code: 'invalid_type',
  });

function checkString(path: string, value: string, minLength = 0, maxLength = Infinity): OpenAIErrorResponse | undefined {
  if (value.length < minLength) {
    return openAIError(
      400,
      `Invalid '${path}': ${value.length === 0 ? 'empty string' : 'string too short'}. ` +
        `Expected a string with minimum length ${minLength}, but got ${value.length === 0 ? 'an empty string' : `a string with length ${value.length}`} instead.`,
      { param: path, code: value.length === 0 ? 'empty_string' : 'string_below_min_length' },
    );
  }
  if (value.length > maxLength) {
    return openAIError(
      400,
      `Invalid '${path}': string too long. Expected a string with maximum length ${maxLength}, but got a string with length ${value.length} instead.`,
      { param: path, code: 'string_above_max_length' },
    );
  }
  return undefined;
}

function validate(schema: Schema, value: unknown, path: string): OpenAIErrorResponse | undefined {
  switch (schema.kind) {
    case 'string':
      if (typeof value !== 'string') return invalidType(path, 'a string', value);
      return checkString(path, value, schema.minLength, schema.maxLength);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : invalidType(path, 'a boolean', value);
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return invalidType(path, 'an integer', value);
      if (schema.minimum !== undefined && value < schema.minimum) {
        return openAIError(400, `Invalid '${path}': integer below minimum value. Expected a value >= ${schema.minimum}, but got ${value} instead.`, {
          param: path,
          code: 'integer_below_min_value',
        });
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        return openAIError(400, `Invalid '${path}': integer above maximum value. Expected a value <= ${schema.maximum}, but got ${value} instead.`, {
          param: path,
          code: 'integer_above_max_value',
        });
      }
      return undefined;
    }
    case 'enum':
      if (typeof value === 'string' && schema.values.includes(value)) return undefined;
      return openAIError(400, `Invalid value: '${String(value)}'. Supported values are: ${schema.values.map((v) => `'${v}'`).join(', ')}.`, {
        param: path,
        code: 'invalid_value',
      });
    case 'primitive':
      if (typeof value === 'string') return checkString(path, value, 0, schema.maxStringLength);
      if (typeof value === 'boolean' || typeof value === 'number') return undefined;
      return invalidType(path, 'one of a string, a boolean, or a number', value);
    case 'record': {
      if (!isJsonObject(value)) return invalidType(path, 'an object', value);
      for (const [key, entry] of Object.entries(value)) {
        if (key.length > schema.maxKeyLength) {
          return openAIError(
            400,
            `Invalid '${path}': key '${key}' is too long. Expected keys with maximum length ${schema.maxKeyLength}, but got a key with length ${key.length} instead.`,
            { param: path, code: 'string_above_max_length' },
          );
        }
        const error = validate(schema.values, entry, `${path}.${key}`);
        if (error) return error;
      }
      return undefined;
    }
    case 'object': {
      if (!isJsonObject(value)) return invalidType(path, 'an object', value);
      const at = (key: string) => (path ? `${path}.${key}` : key);
      for (const key of Object.keys(value)) {
        if (!(key in schema.properties)) {
          return openAIError(400, `Unknown parameter: '${at(key)}'.`, { param: at(key), code: 'unknown_parameter' });
        }
      }
      for (const key of schema.required ?? []) {
        if (value[key] === undefined) {
          return openAIError(400, `Missing required parameter: '${at(key)}'.`, {
            param: at(key),
            code: 'missing_required_parameter',
          });
        }
      }
      for (const [key, propertySchema] of Object.entries(schema.properties)) {
        if (value[key] === undefined) continue;
        const error = validate(propertySchema, value[key], at(key));
        if (error) return error;
      }
      return undefined;
    }
  }
}

export type ParseResult = { ok: true; params: SessionCreateParams } | { ok: false; error: OpenAIErrorResponse };

export function parseSessionCreateParams(body: unknown): ParseResult {
  if (!isJsonObject(body)) {
    return {
      ok: false,
      error: openAIError(400, `Invalid type for body: expected an object, but got ${describeType(body)} instead.`, {
        code: 'invalid_type',
      }),
    };
  }
  const error = validate(sessionCreateSchema, body, '');
  // The schema above encodes SessionCreateParams field by field, so a body it
  // accepts has exactly that shape.
  return error ? { ok: false, error } : { ok: true, params: body as unknown as SessionCreateParams };
}

/** Defaults documented on SessionCreateParams / ChatSessionChatKitConfigurationParam. */
const DEFAULT_EXPIRES_AFTER_SECONDS = 600;
const DEFAULT_MAX_REQUESTS_PER_1_MINUTE = 10;
const DEFAULT_MAX_FILE_SIZE_MB = 512;
const DEFAULT_MAX_FILES = 10;

/** Real ids look like `cksess_` + 48 hex chars and secrets like `ek_…`; only the prefixes are contractual. */
const newSessionId = () => `cksess_${randomBytes(24).toString('hex')}`;
const newClientSecret = () => `ek_${randomBytes(24).toString('hex')}`;

export function createChatSession(params: SessionCreateParams, nowSeconds: number): ChatSession {
  const { workflow, chatkit_configuration: config, expires_after, rate_limits } = params;
  const maxRequestsPerMinute = rate_limits?.max_requests_per_1_minute ?? DEFAULT_MAX_REQUESTS_PER_1_MINUTE;
  return {
    id: newSessionId(),
    object: 'chatkit.session',
    client_secret: newClientSecret(),
    expires_at: nowSeconds + (expires_after?.seconds ?? DEFAULT_EXPIRES_AFTER_SECONDS),
    status: 'active',
    user: params.user,
    workflow: {
      id: workflow.id,
      version: workflow.version ?? null,
      state_variables: workflow.state_variables ?? null,
      tracing: { enabled: workflow.tracing?.enabled ?? true },
    },
    chatkit_configuration: {
      automatic_thread_titling: { enabled: config?.automatic_thread_titling?.enabled ?? true },
      file_upload: {
        enabled: config?.file_upload?.enabled ?? false,
        max_file_size: config?.file_upload?.max_file_size ?? DEFAULT_MAX_FILE_SIZE_MB,
        max_files: config?.file_upload?.max_files ?? DEFAULT_MAX_FILES,
      },
      history: {
        enabled: config?.history?.enabled ?? true,
        recent_threads: config?.history?.recent_threads ?? null,
      },
    },
    rate_limits: { max_requests_per_1_minute: maxRequestsPerMinute },
    max_requests_per_1_minute: maxRequestsPerMinute,
  };
}
