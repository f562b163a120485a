/** Words both chats share (from the seed design), so the ChatKit and legacy chats read the same. */
export const WELCOME_TEXT = 'Hi! I can help you manage your tasks. Try saying "Add a task to buy groceries" or "Show me my tasks".';
export const EXAMPLE_PROMPTS = ['Add a task to buy groceries', 'Show me my tasks'] as const;
export const COMPOSER_PLACEHOLDER = 'Ask me to manage your tasks...';
export const CONVERSATION_NOT_FOUND_TEXT = 'This conversation was not found. It may have been deleted, or it belongs to another account.';
/** Shown under an answer the user stopped (the origin keeps it, marked interrupted). */
export const STOPPED_LABEL = 'Stopped';
