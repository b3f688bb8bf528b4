/**
 * `local-rag mcp`'s command line: the store to serve and the same model options as
 * `local-rag ask`, so an agent's answers come from the model the user chose.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../protocol/settings';
import { serverSettings } from '../serverOptions';

export const MCP_USAGE = `Usage:
  local-rag mcp [--store DIR] [--model GGUF] [--threads N] [--gpu-layers auto|N] [--max-answer-tokens N] [--embedding-model DIR]
  local-rag mcp [--store DIR] --server URL [--server-model NAME] [--max-answer-tokens N] [--embedding-model DIR]

Serves the index in DIR (default ./.local-rag, or $LOCAL_RAG_STORE) to an MCP client over stdio:
tools search_docs, ask_docs and index_status. Without --model or --server, ask_docs quotes the best passages.
--server answers from an OpenAI-compatible model server, as in \`local-rag ask\` (key: LOCAL_RAG_SERVER_API_KEY).`;

export interface McpOptions {
  store: string;
  settings: PipelineSettings;
  embeddingModel?: string;
  verbose: boolean;
}

/** The options, or a message saying what is wrong with them. */
export function parseMcpOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): McpOptions | { usage: string; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        store: { type: 'string' },
        model: { type: 'string' },
        threads: { type: 'string', default: '0' },
        'gpu-layers': { type: 'string', default: 'auto' },
        'max-answer-tokens': { type: 'string' },
        'embedding-model': { type: 'string' },
        server: { type: 'string' },
        'server-model': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return { usage: `${error instanceof Error ? error.message : String(error)}\n${MCP_USAGE}`, help: false };
  }
  if (values.help) return { usage: MCP_USAGE, help: true };
  const threads = Number(values.threads);
  const maxAnswerTokens = values['max-answer-tokens'] === undefined ? DEFAULT_PIPELINE_SETTINGS.maxAnswerTokens : Number(values['max-answer-tokens']);
  if (!Number.isInteger(maxAnswerTokens) || maxAnswerTokens < 1) return { usage: `--max-answer-tokens must be a whole number of at least 1.\n${MCP_USAGE}`, help: false };
  return {
    store: path.resolve(values.store ?? env.LOCAL_RAG_STORE ?? '.local-rag'),
    settings: {
      ...DEFAULT_PIPELINE_SETTINGS,
      chatModel: values.model ? path.resolve(values.model) : '',
      threads: Number.isInteger(threads) && threads >= 0 ? threads : 0,
      gpuLayers: values['gpu-layers'] === 'auto' ? 'auto' : Math.max(0, Number(values['gpu-layers']) || 0),
      maxAnswerTokens,
      ...serverSettings(values.server, values['server-model'], env),
    },
    ...(values['embedding-model'] ? { embeddingModel: path.resolve(values['embedding-model']) } : {}),
    verbose: values.verbose,
  };
}
