/** The last resort when code could not be loaded: say so, and offer the one thing that helps. */
export function LoadFailed({ what }: { what: string }) {
  return (
    <div className="load-failed" role="alert" data-testid="load-failed">
      <p>{what} couldn't be loaded. Check your connection, then reload the page.</p>
      <button className="button button--primary" type="button" onClick={() => window.location.reload()}>
        Reload
      </button>
    </div>
  );
}
