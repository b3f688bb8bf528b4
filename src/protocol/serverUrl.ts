/**
 * An OpenAI-compatible server's API root from the `localRag.server.baseUrl` setting, as both
 * the host (Select Model's list) and the pipeline (answers) use it: `/v1` added when
 * missing, no trailing slash, no credentials in the URL. Undefined for what is not http(s).
 */
export function serverApiBase(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  return /\/v\d+$/.test(base) ? base : `${base}/v1`;
}
