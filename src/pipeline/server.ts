/**
 * The pipeline process's RPC surface: `initialize` builds the pipeline (pipeline.ts), and
 * each area's handlers (handlers/) answer from it. Kept apart from main.ts so that the
 * connection can be any vscode-jsonrpc transport.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { ConfigureNotification, InitializeRequest, LogNotification } from '../protocol/rpc';
import { DEFAULT_PIPELINE_SETTINGS } from '../protocol/settings';
import { registerChatHandlers } from './handlers/chatHandlers';
import { registerHistoryHandlers } from './handlers/historyHandlers';
import { registerIndexingHandlers } from './handlers/indexingHandlers';
import { registerModelHandlers } from './handlers/modelHandlers';
import { shutdownPdfWorkers } from './indexing/extract/pdf';
import type { Logger } from './log';
import { initializePipeline, type Pipeline, type SettingsCell } from './pipeline';

export function servePipeline(connection: MessageConnection): { dispose(): Promise<void> } {
  const logger: Logger = {
    log(level, message, details) {
      connection.sendNotification(LogNotification, { level, message, ...details }).catch(() => {});
    },
  };
  const settings: SettingsCell = { current: { ...DEFAULT_PIPELINE_SETTINGS } };
  let pipeline: Pipeline | undefined;
  let starting: Promise<Pipeline> | undefined;

  connection.onRequest(InitializeRequest, async (params) => {
    settings.current = { ...DEFAULT_PIPELINE_SETTINGS, ...params.settings };
    const next = initializePipeline(params, settings, logger, connection);
    starting = next;
    try {
      pipeline = await next;
    } finally {
      if (starting === next) starting = undefined;
    }
    // The host may have sent `configure` after the index opened with the settings before it.
    void pipeline.applyChunking();
    void pipeline.applyModels();
    logger.log('info', `Pipeline process ${process.pid} ready (Node ${process.versions.node}).`);
    return { pid: process.pid };
  });

  connection.onNotification(ConfigureNotification, (next) => {
    settings.current = { ...DEFAULT_PIPELINE_SETTINGS, ...next };
    // Before `initialize` has finished, the pipeline it builds reads the new settings itself.
    void pipeline?.applyChunking();
    void pipeline?.applyModels();
  });

  const current = () => pipeline;
  registerChatHandlers(connection, current);
  registerHistoryHandlers(connection, current);
  registerIndexingHandlers(connection, current);
  registerModelHandlers(connection, current);

  return {
    async dispose() {
      // A start under way is waited for, so that what it opened is saved and closed too.
      const finished = starting ? await starting.catch(() => pipeline) : pipeline;
      await (finished ? finished.dispose() : shutdownPdfWorkers());
    },
  };
}
