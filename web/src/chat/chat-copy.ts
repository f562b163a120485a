/** Words both chats share (from the seed design), so the ChatKit and legacy chats read the same. */
export const WELCOME_TEXT =
  'Hi! I can help you manage your tasks. Try saying "Add a task to buy groceries" or "Show me my tasks".';
export const EXAMPLE_PROMPTS = ['Add a task to buy groceries', 'Show me my tasks'] as const;
export const COMPOSER_PLACEHOLDER = 'Ask me to manage your tasks...';
