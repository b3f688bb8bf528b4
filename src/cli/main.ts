/**
 * `local-rag`: the pipeline from a terminal, without VS Code — the same extraction, index,
 * retrieval and generation code the extension's pipeline process runs.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { RequestToken, RequestManager } from '../pipeline/cancellation';
import { ChatHistory } from '../pipeline/chat/history';
import { ChatService } from '../pipeline/chat/chatService';
import { DEFAULT_MAX_FILES, walkFolderReport } from '../pipeline/indexing/walk';
import { WorkspaceIndex } from '../pipeline/indexing/workspaceIndex';
import { Embedder } from '../pipeline/embedding/embedder';
import { ChatModel } from '../pipeline/llm/chatModel';
import { stderrLogger, type Logger } from '../pipeline/log';
import { WorkspaceRetriever } from '../pipeline/retrieval/workspaceRetriever';
import { serverSettings } from './serverOptions';
import { DEFAULT_PIPELINE_SETTINGS } from '../protocol/settings';

const USAGE = `Usage:
  local-rag index <folder> [--store DIR] [--json] [--max-files N]
  local-rag search "<query>" [--store DIR] [--k N] [--json]
  local-rag ask "<question>" [--store DIR] [--model GGUF] [--threads N] [--gpu-layers auto|N] [--attach FILE]
  local-rag ask "<question>" --server URL [--server-model NAME] [--store DIR] [--attach FILE]
  local-rag mcp [--store DIR] [--model GGUF | --server URL [--server-model NAME]] [--max-answer-tokens N]

--embedding-model DIR (any command) adds vector search fused with BM25; without it, BM25 only.
--server URL answers from an OpenAI-compatible model server (llama-server, Ollama, LM Studio, vLLM)
  instead of --model, e.g. http://127.0.0.1:8080/v1; --server-model names its model (default: the first
  it lists). An API key, if the server needs one, is read from LOCAL_RAG_SERVER_API_KEY.
--attach FILE answers from that file (read, then summarized by the model) instead of the index.
--max-files N caps the files one index run reads (default ${DEFAULT_MAX_FILES}); links out of the folder are skipped.
--store defaults to ./.local-rag. Ctrl+C stops indexing or an answer cleanly (exit code 130).`;

const EXIT_CANCELLED = 130;

async function main(argv: string[]): Promise<number> {
  // The MCP server has options of its own and runs until its client leaves. Imported on
  // demand, so the other commands never load the MCP SDK (esbuild keeps it lazy in cli.js).
  if (argv[0] === 'mcp') return (await import('./mcp/server.js')).runMcp(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: 'string', default: '.local-rag' },
      json: { type: 'boolean', default: false },
      k: { type: 'string', default: '5' },
      model: { type: 'string' },
      threads: { type: 'string', default: '0' },
      'gpu-layers': { type: 'string', default: 'auto' },
      'embedding-model': { type: 'string' },
      server: { type: 'string' },
      'server-model': { type: 'string' },
      attach: { type: 'string' },
      'max-files': { type: 'string', default: String(DEFAULT_MAX_FILES) },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command || !argument) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const store = path.resolve(values.store);
  const logger: Logger = values.verbose ? stderrLogger : { log: (level, message) => level !== 'info' && stderrLogger.log(level, message) };

  if (!['index', 'search', 'ask'].includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
    return 2;
  }
  // Only `index` writes: `search` and `ask` read beside a running extension or another
  // `index` without changing anything in the store.
  const workspace = await WorkspaceIndex.open(store, logger, undefined, { readOnly: command !== 'index' });
  // A store from a newer version is left as it is; its message (naming both versions) is in the log above.
  if (workspace.newerFormat) return 1;
  const embeddingModel = values['embedding-model'];
  const embedder = embeddingModel ? await Embedder.load(path.resolve(embeddingModel)) : undefined;
  try {
    await workspace.useEmbedder(embedder, interruptToken('embed'));
    switch (command) {
      case 'index':
        return await index(path.resolve(argument), workspace, store, values.json, Number(values['max-files']));
      case 'search':
        return await search(argument, workspace, Number(values.k), values.json);
      case 'ask':
        return await ask(
          argument,
          workspace,
          store,
          { model: values.model, threads: Number(values.threads), gpuLayers: values['gpu-layers'], attach: values.attach, server: values.server, serverModel: values['server-model'] },
          logger,
        );
    }
  } finally {
    // A run stopped with Ctrl+C saves what it indexed after answering: wait for that save.
    await workspace.close();
    await embedder?.dispose();
  }
  return 2;
}

/**
 * Ctrl+C stops the work cleanly; a second Ctrl+C quits at once. The listener stays
 * registered (`on`, not `once`): a dependency uses signal-exit, which re-raises the signal
 * and kills the process when it finds no other SIGINT listener left.
 */
function onInterrupt(stop: () => void): void {
  let pressed = 0;
  process.on('SIGINT', () => {
    if (++pressed > 1) process.exit(EXIT_CANCELLED);
    stop();
  });
}

/** A token that Ctrl+C cancels. */
function interruptToken(id: string): RequestToken {
  const token = new RequestToken(id);
  onInterrupt(() => token.cancel());
  return token;
}

async function index(folder: string, workspace: WorkspaceIndex, store: string, json: boolean, maxFiles: number): Promise<number> {
  if (!Number.isInteger(maxFiles) || maxFiles < 1) {
    process.stderr.write(`--max-files must be a whole number of at least 1.\n${USAGE}\n`);
    return 2;
  }
  const { files, skipped, leftOut } = await walkFolderReport(folder, { maxFiles });
  const token = interruptToken('index');
  const started = Date.now();
  const report = await workspace.indexFiles(files, token, ({ done, total, current }) => {
    if (!json && process.stderr.isTTY) process.stderr.write(`\r\x1b[K[${done}/${total}] ${current ?? ''}`);
  });
  if (!json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const status = workspace.status();
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ...report, skipped, leftOut: leftOut.map((file) => file.displayPath), files: status.files, chunks: status.chunks, ms: Date.now() - started })}\n`,
    );
  } else {
    process.stdout.write(
      `${report.cancelled ? 'Stopped' : 'Indexed'}: ${report.indexed} read, ${report.unchanged} unchanged, ${report.failed.length} failed; ` +
        `${status.files} files, ${status.chunks} chunks in ${store} (${Date.now() - started} ms)\n`,
    );
    for (const failure of report.failed) process.stdout.write(`  ${failure.path}: ${failure.message}\n`);
    if (skipped.length) process.stdout.write(`Skipped ${skipped.length} (links out of the folder, pipes, devices):\n`);
    for (const skip of skipped) process.stdout.write(`  ${skip.path}: ${skip.message}\n`);
  }
  if (leftOut.length) {
    const shown = leftOut.slice(0, 5).map((file) => file.displayPath).join(', ');
    process.stderr.write(
      `${leftOut.length} more files were not indexed: the limit is ${maxFiles} files per run (${shown}${leftOut.length > 5 ? ', …' : ''}). ` +
        `Run again with --max-files ${files.length + leftOut.length} to index them all.\n`,
    );
  }
  return report.cancelled ? EXIT_CANCELLED : 0;
}

async function search(query: string, workspace: WorkspaceIndex, k: number, json: boolean): Promise<number> {
  const vector = await workspace.embedQuery(query, new RequestToken('search'));
  const hits = workspace.search(query, Number.isInteger(k) && k > 0 ? k : 5, vector);
  if (json) {
    const rows = hits.map(({ path: file, score, startLine, endLine, page, heading, text }) => ({
      path: file,
      score,
      startLine,
      endLine,
      ...(page !== undefined ? { page } : {}),
      ...(heading ? { heading } : {}),
      text,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    if (hits.length === 0) process.stdout.write('No matches.\n');
    for (const hit of hits) {
      const where = hit.page !== undefined ? `page ${hit.page}` : `lines ${hit.startLine}-${hit.endLine}`;
      process.stdout.write(`${hit.path} (${where}${hit.heading ? `, ${hit.heading}` : ''}) score ${hit.score.toFixed(2)}\n`);
      process.stdout.write(`  ${hit.text.slice(0, 200).replace(/\s+/g, ' ')}\n`);
    }
  }
  return 0;
}

async function ask(
  question: string,
  workspace: WorkspaceIndex,
  store: string,
  options: { model?: string; threads: number; gpuLayers: string; attach?: string; server?: string; serverModel?: string },
  logger: Logger,
): Promise<number> {
  const requests = new RequestManager();
  const settings = {
    ...DEFAULT_PIPELINE_SETTINGS,
    chatModel: options.model ? path.resolve(options.model) : '',
    threads: Number.isInteger(options.threads) && options.threads >= 0 ? options.threads : 0,
    gpuLayers: options.gpuLayers === 'auto' ? ('auto' as const) : Math.max(0, Number(options.gpuLayers) || 0),
    ...serverSettings(options.server, options.serverModel),
  };
  const model = new ChatModel(logger);
  const history = await ChatHistory.open(path.join(store, 'chat-history.json'), logger);
  const service = new ChatService({
    model,
    retriever: new WorkspaceRetriever(() => workspace, logger),
    history,
    settings: () => settings,
    logger,
  });
  onInterrupt(() => requests.cancelCurrent());
  const attachment = options.attach ? { absPath: path.resolve(options.attach), displayPath: path.basename(options.attach) } : undefined;
  const params = { requestId: 'cli', question, ...(attachment ? { attachment } : {}) };
  const terminal = await requests.run(params.requestId, (token) =>
    service.handle(params, token, (event) => {
      if ('status' in event) process.stderr.write(`${event.status}\n`);
      else if ('content' in event) process.stdout.write(event.content);
      else if ('sources' in event) {
        for (const [n, source] of event.sources.entries()) process.stderr.write(`  [${n + 1}] ${source.path}:${source.startLine ?? ''}\n`);
      }
    }),
  );
  process.stdout.write('\n');
  await Promise.all([history.flush(), model.dispose()]);
  if ('error' in terminal) {
    process.stderr.write(`${terminal.error}\n`);
    return 1;
  }
  if ('cancelled' in terminal) {
    process.stderr.write('[Stopped]\n');
    return EXIT_CANCELLED;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`local-rag: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
