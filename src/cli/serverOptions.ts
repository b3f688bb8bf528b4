import type { PipelineSettings } from '../protocol/settings';

/**
 * `--server`: answers from a model server (`local-rag ask` and `local-rag mcp`). The key
 * comes from the environment, never from an argument, which any user of the machine can
 * read in the process list.
 */
export function serverSettings(server: string | undefined, model: string | undefined, env: NodeJS.ProcessEnv = process.env): Partial<PipelineSettings> {
  if (!server) return {};
  const apiKey = env.LOCAL_RAG_SERVER_API_KEY?.trim();
  return { chatProvider: 'openaiCompatible', serverBaseUrl: server, serverChatModel: model ?? '', ...(apiKey ? { serverApiKey: apiKey } : {}) };
}
