/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Overrides where the ChatKit web component is loaded from (tests, staging mirrors). */
  readonly VITE_CHATKIT_SCRIPT_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
