/** The end of both auth forms: the error the last attempt got, then the submit button. */
export function AuthFormFooter({ error, pending, label, pendingLabel }: { error: string | null; pending: boolean; label: string; pendingLabel: string }) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert" data-testid="auth-error">
          {error}
        </p>
      )}
      <button className="button button--primary button--block" type="submit" disabled={pending}>
        {pending ? pendingLabel : label}
      </button>
    </>
  );
}
