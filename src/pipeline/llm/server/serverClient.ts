/**
 * HTTP to an OpenAI-compatible model server (llama-server, Ollama, LM Studio, vLLM) on
 * Node's own fetch. Every way a request can go wrong becomes one clear message: the user
 * sees which server, what happened and what to do, and never the API key.
 */
import { serverApiBase } from '../../../protocol/serverUrl';
import { ModelUnavailableError } from '../modelErrors';

export interface ServerEndpoint {
  /** The settings' URL, `/v1` added when missing, no trailing slash. */
  apiBase: string;
  apiKey?: string;
}

/** The request failed in a way that asking again may fix (the view offers Retry). */
export class ServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerError';
  }
}

/** `http://host:8080`, `http://host:8080/v1/` → `http://host:8080/v1`; throws on a URL that is not http(s). */
export function apiBaseOf(baseUrl: string): string {
  const trimmed = baseUrl.trim();
  if (!trimmed) {
    throw new ModelUnavailableError(
      'No model server is set. Set "localRag.server.baseUrl" to your server\'s address (for example http://127.0.0.1:8080/v1 for llama-server or http://127.0.0.1:11434/v1 for Ollama), or set "localRag.chatProvider" to "embedded".',
    );
  }
  const base = serverApiBase(trimmed);
  if (!base) throw new ModelUnavailableError(`"localRag.server.baseUrl" must be an http:// or https:// URL (it is "${trimmed}"). Use for example http://127.0.0.1:8080/v1.`);
  return base;
}

/** The server's root (llama-server serves `/tokenize`, `/props` and `/slots` beside `/v1`). */
export function rootOf(apiBase: string): string {
  return apiBase.replace(/\/v\d+$/, '');
}

/**
 * A `fetch` whose failures are described for the user. `signal` aborts it (then the
 * AbortError passes through untouched: the caller knows why it aborted).
 */
export async function serverFetch(endpoint: ServerEndpoint, url: string, init: { method?: string; body?: unknown; signal?: AbortSignal }): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ServerError(connectionFailure(endpoint.apiBase, error));
  }
  if (!response.ok) throw await httpFailure(endpoint, url, response);
  return response;
}

/** The time-out to the first byte ran out: the server took the request and said nothing. */
export function silentServer(endpoint: ServerEndpoint, timeoutMs: number): ServerError {
  return new ServerError(
    `The model server at ${endpoint.apiBase} sent nothing for ${Math.max(1, Math.round(timeoutMs / 1000))} s. ` +
      'It may be overloaded or stuck; "localRag.server.firstByteTimeout" sets how long to wait.',
  );
}

/**
 * Runs a small request (a model list, a token count) under the time-out to the first byte,
 * so a server that accepts connections and never answers cannot hang the question.
 */
export async function withTimeout<T>(endpoint: ServerEndpoint, signal: AbortSignal, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await work(AbortSignal.any([signal, timeout]));
  } catch (error) {
    if (timeout.aborted && !signal.aborted) throw silentServer(endpoint, timeoutMs);
    throw error;
  }
}

export async function getJson<T>(endpoint: ServerEndpoint, url: string, signal?: AbortSignal): Promise<T> {
  const response = await serverFetch(endpoint, url, { signal });
  return (await response.json()) as T;
}

export interface ServerModel {
  id: string;
}

/** The ids `/v1/models` lists, or undefined when the server does not serve that list. */
export async function listModels(endpoint: ServerEndpoint, signal?: AbortSignal): Promise<string[] | undefined> {
  try {
    const list = await getJson<{ data?: ServerModel[] }>(endpoint, `${endpoint.apiBase}/models`, signal);
    return Array.isArray(list.data) ? list.data.map((model) => model.id) : undefined;
  } catch (error) {
    if (error instanceof ServerHttpError && error.status === 404) return undefined;
    throw error;
  }
}

/** An HTTP error status that is not about credentials or configuration. */
export class ServerHttpError extends ServerError {
  constructor(
    message: string,
    readonly status: number,
    /** The server's Retry-After, when it sent one in seconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

async function httpFailure(endpoint: ServerEndpoint, url: string, response: Response): Promise<Error> {
  const where = `The model server at ${endpoint.apiBase}`;
  const detail = redact(await serverMessage(response), endpoint.apiKey);
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 401 || response.status === 403) {
    return new ModelUnavailableError(
      `${where} refused the request (${status}${detail ? `: ${detail}` : ''}). ` +
        (endpoint.apiKey ? 'Check the API key' : 'It needs an API key') +
        ': run "Local RAG: Set Server API Key".',
    );
  }
  const path = url.slice(endpoint.apiBase.length) || url;
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterMs = response.headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined;
  return new ServerHttpError(`${where} answered ${path} with ${status}${detail ? `: ${detail}` : ''}.`, response.status, retryAfterMs);
}

/** The server's own error text (`{error: {message}}`, `{error: "..."}` or plain text), kept short. */
async function serverMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  let message = text;
  try {
    const json = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    message = (typeof json.error === 'string' ? json.error : json.error?.message) ?? json.message ?? text;
  } catch {
    // Not JSON: the text itself.
  }
  message = message.replace(/\s+/g, ' ').trim();
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** Never repeat the key, even when a server echoes the header it rejected. */
export function redact(text: string, apiKey: string | undefined): string {
  return apiKey ? text.split(apiKey).join('***') : text;
}

/** fetch's "fetch failed" names nothing: the cause's code says what went wrong. */
function connectionFailure(apiBase: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  const where = `the model server at ${apiBase}`;
  if (code === 'ECONNREFUSED') return `Could not connect to ${where}: the connection was refused. Is the server running, and is "localRag.server.baseUrl" right?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Could not find the host of ${where} (DNS lookup failed). Check "localRag.server.baseUrl".`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    // fetch counts the TLS handshake as part of connecting: a plain-http server never completes it.
    const tls = apiBase.startsWith('https:') ? ' before a secure (TLS) connection was made; does the server speak https?' : '.';
    return `Could not connect to ${where}: the connection timed out${tls}`;
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `${capitalize(where)} closed the connection before answering.`;
  if (/CERT|TLS|SSL|SELF_SIGNED/i.test(code) || /certificate|TLS|SSL/i.test(cause?.message ?? '')) {
    return `Could not make a secure (TLS) connection to ${where}: ${cause?.message ?? code}.`;
  }
  return `Could not reach ${where}: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
