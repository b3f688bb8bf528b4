/**
 * The chat models a model server offers (`/v1/models`), for Select Model. A short GET from
 * the host: a server that is down or slow only leaves its models out of the list.
 */
import { serverApiBase } from '../protocol/serverUrl';

const LIST_TIMEOUT_MS = 3_000;

/** The ids the server lists, or the reason it lists none (never the key). */
export async function listServerModels(baseUrl: string, apiKey: string | undefined): Promise<{ ids: string[] } | { error: string }> {
  const base = serverApiBase(baseUrl);
  if (!base) return { error: `not an http(s) URL: ${baseUrl}` };
  const url = `${base}/models`;
  try {
    const response = await fetch(url, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
    });
    if (!response.ok) return { error: `${response.status} ${response.statusText}`.trim() };
    const list = (await response.json()) as { data?: { id?: unknown }[] };
    return { ids: (list.data ?? []).flatMap((model) => (typeof model.id === 'string' ? [model.id] : [])) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (error instanceof Error ? error.message : String(error)) };
  }
}
