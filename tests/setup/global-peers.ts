import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  interface ProvidedContext {
    originUrl: string;
  }
}

export default async function setup(project: TestProject) {
  project.provide('originUrl', 'http://127.0.0.1:9');
  return async () => {};
}
