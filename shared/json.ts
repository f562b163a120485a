/** A JSON object: not null, not an array (valibot's object schemas alone would also take an array). */
export const isJsonObject = (input: unknown): input is Record<string, unknown> => typeof input === 'object' && input !== null && !Array.isArray(input);
