/** The part of Better Auth's client the SPA uses, apart from its loader (auth-client.ts) so the lazily loaded better-auth-client.ts depends on types only. */

/** What Better Auth's client answers when a call fails (`{data: null, error}`). */
export interface AuthClientError {
  message?: string | undefined;
  code?: string | undefined;
  status: number;
  statusText: string;
}

interface AuthClientResult {
  error: AuthClientError | null;
}

/** The part of Better Auth's client the SPA uses; a seam for tests and for reading the code. */
export interface AuthClientPort {
  signIn: { email(body: { email: string; password: string }): Promise<AuthClientResult> };
  signUp: { email(body: { email: string; password: string; name: string }): Promise<AuthClientResult> };
  signOut(): Promise<unknown>;
}
