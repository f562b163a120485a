import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * Builds the SPA in web/ into dist/web, which the worker serves with Workers Static Assets.
 * There is no dev server here: the worker serves the built files (`npm run dev`).
 */
export default defineConfig({
  root: `${repoRoot}web`,
  // VITE_* variables (e.g. VITE_CHATKIT_SCRIPT_URL) live in the repo root's .env files.
  envDir: repoRoot,
  publicDir: `${repoRoot}web/public`,
  plugins: [react()],
  build: {
    outDir: `${repoRoot}dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Every browser that runs this app supports <link rel="modulepreload">; no polyfill.
    modulePreload: { polyfill: false },
    rolldownOptions: {
      output: {
        codeSplitting: {
          // The lazy chunks (the two chats, Better Auth's client) come from dynamic imports. This
          // group keeps everything the first screen needs in the entry chunk itself; without it
          // Rolldown carves modules shared with lazy chunks (React, the auth context…) into small
          // extra chunks that the entry then has to load anyway.
          groups: [{ name: 'index', tags: ['$initial'] }],
        },
      },
    },
  },
});
