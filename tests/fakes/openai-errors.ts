/**
 * OpenAI's JSON error envelope and the specific errors the ChatKit fake can
 * produce. Messages, types and codes mirror what api.openai.com returns so that
 * code under test sees the same `APIError.message/type/code/param` from the SDK.
 */

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

export interface OpenAIErrorResponse {
  status: number;
  body: OpenAIErrorBody;
  headers?: Record<string, string>;
}

export function openAIError(
  status: number,
  message: string,
  { type = 'invalid_request_error', param = null, code = null }: Partial<Omit<OpenAIErrorBody['error'], 'message'>> = {},
): OpenAIErrorResponse {
  return { status, body: { error: { message, type, param, code } } };
}

/** OpenAI shows only the ends of a wrong key, never the key itself. */
function maskApiKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

export const errors = {
  missingApiKey: () =>
    openAIError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth " +
        "(i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API " +
        'from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.',
    ),
  incorrectApiKey: (key: string) =>
    openAIError(401, `Incorrect API key provided: ${maskApiKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`, {
      code: 'invalid_api_key',
    }),
  permissionDenied: () =>
    openAIError(
      403,
      'You have insufficient permissions for this operation. Check that you have the correct role in your organization ' +
        "(Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.",
    ),
  missingBetaHeader: () =>
    openAIError(
      400,
      "You must provide the 'OpenAI-Beta' header to access the ChatKit API. " + "Please try again by setting the header 'OpenAI-Beta: chatkit_beta=v1'.",
      { code: 'invalid_beta' },
    ),
  unparsableJson: () =>
    openAIError(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
        'The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, ' +
        'please contact us through our help center at help.openai.com.)',
    ),
  sessionNotFound: (sessionId: string) => openAIError(404, `Chatkit Session with id '${sessionId}' not found.`),
  invalidUrl: (method: string, path: string) => openAIError(404, `Invalid URL (${method} ${path})`),
  rateLimited: (retryAfterSeconds: number): OpenAIErrorResponse => ({
    ...openAIError(429, 'Rate limit reached for requests. Please try again later.', {
      type: 'requests',
      code: 'rate_limit_exceeded',
    }),
    headers: { 'retry-after': String(retryAfterSeconds) },
  }),
  serverError: () => openAIError(500, 'The server had an error while processing your request. Sorry about that!', { type: 'server_error' }),
  overloaded: () => openAIError(503, 'The server is overloaded or not ready yet.', { type: 'server_error' }),
};
