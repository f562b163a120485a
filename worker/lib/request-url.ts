/**
 * The request's URL, parsed once per request however many middlewares and routes ask for it
 * (the access log, the proxy's path check and its forwarding headers all do). Read only.
 */
const parsed = new WeakMap<Request, URL>();

export function requestUrl(request: Request): URL {
  let url = parsed.get(request);
  if (!url) {
    url = new URL(request.url);
    parsed.set(request, url);
  }
  return url;
}
