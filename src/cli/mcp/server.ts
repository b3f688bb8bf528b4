/**
 * `local-rag mcp`: the index as an MCP server over stdio, for coding agents (Claude Code,
 * Cursor, VS Code, Continue). stdout carries the protocol alone; every log line goes to
 * stderr, which MCP clients show as the server's log.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { version } from '../../../package.json';
import { ChatModel } from '../../pipeline/llm/chatModel';
import { stderrLogger, type Logger } from '../../pipeline/log';
import { DOCUMENT_CONTENT_NOTE } from '../../protocol/quotedPassages';
import { registerAskTool } from './askTool';
import { IndexReader } from './indexReader';
import { parseMcpOptions } from './options';
import { registerSearchTool } from './searchTool';
import { registerStatusTool } from './statusTool';

const INSTRUCTIONS =
  "Local RAG searches the user's own documents, indexed on this machine. Use search_docs for passages with exact places (path:line), " +
  `ask_docs for a cited answer, index_status to see what is indexed. ${DOCUMENT_CONTENT_NOTE}`;

/** Serves until the client closes stdin (or SIGTERM); returns the exit code. */
export async function runMcp(argv: string[]): Promise<number> {
  const options = parseMcpOptions(argv);
  if ('usage' in options) {
    process.stderr.write(`${options.usage}\n`);
    return options.help ? 0 : 2;
  }
  const logger: Logger = options.verbose ? stderrLogger : { log: (level, message) => level !== 'info' && level !== 'trace' && stderrLogger.log(level, message) };
  const reader = new IndexReader(options.store, logger, options.embeddingModel);
  const model = new ChatModel(logger);
  const server = new McpServer({ name: 'local-rag', version }, { instructions: INSTRUCTIONS });
  registerSearchTool(server, reader);
  registerAskTool(server, { reader, model, settings: options.settings, logger: options.verbose ? stderrLogger : cancelLogger(logger) });
  registerStatusTool(server, reader);

  const closed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.connect(new StdioServerTransport());
  // The index is read now, so the first search does not wait for it (a missing store is told per call).
  void reader.index().catch(() => {});
  await closed;
  await server.close().catch(() => {});
  await Promise.all([reader.close(), model.dispose()]);
  return 0;
}

/** The quiet log, plus the line telling how fast a cancelled ask_docs stopped. */
function cancelLogger(quiet: Logger): Logger {
  return { log: (level, message, details) => (message.startsWith('ask_docs ') ? stderrLogger.log(level, message) : quiet.log(level, message, details)) };
}
