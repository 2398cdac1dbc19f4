/** A request target split at its query: the path, and the query string with its `?` ('' when there is none). */
export function splitRequestUrl(url: string): { path: string; search: string } {
  const query = url.indexOf('?');
  return query === -1 ? { path: url, search: '' } : { path: url.slice(0, query), search: url.slice(query) };
}
