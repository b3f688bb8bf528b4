/** Downloading models from the hub (sizes first, progress while it runs) and listing the chat models on disk. */
import type { MessageConnection } from 'vscode-jsonrpc';
import type { MissingModel } from '../../protocol/models';
import { DownloadModelRequest, DownloadProgressNotification, ListChatModelsRequest, ModelSizeRequest } from '../../protocol/rpc';
import { RequestToken } from '../cancellation';
import { downloadHubModel, downloadSize, hubModel, type HubModel } from '../embedding/hubModel';
import { ggufHubModel, listDownloadedChatModels } from '../llm/modelDownload';
import { requirePipeline, type CurrentPipeline } from '../pipeline';
import { cancelOnRpc } from '../rpcCancellation';

export function registerModelHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  /** A chat model is one GGUF file of a hub repository; the ONNX models are folders. */
  function hubModelOf(model: MissingModel): HubModel {
    const { modelsDir } = requirePipeline(current).models;
    return model.role === 'chat' ? ggufHubModel(model.id, modelsDir) : hubModel(model.id, modelsDir);
  }

  connection.onRequest(ModelSizeRequest, (model) => downloadSize(hubModelOf(model)));

  connection.onRequest(DownloadModelRequest, async ({ role, id }, rpcToken) => {
    const pipeline = requirePipeline(current);
    const { downloads, logger } = pipeline;
    if (downloads.has(id)) throw new Error(`${id} is already being downloaded.`);
    downloads.add(id);
    const token = new RequestToken(`download-${id}`);
    const subscription = cancelOnRpc(rpcToken, token);
    let lastSent = 0;
    try {
      const completed = await downloadHubModel(hubModelOf({ role, id }), {
        token,
        onProgress(progress) {
          // A few updates a second are plenty for a progress bar.
          if (progress.transferredBytes < progress.totalBytes && Date.now() - lastSent < 200) return;
          lastSent = Date.now();
          connection.sendNotification(DownloadProgressNotification, progress).catch(() => {});
        },
      });
      logger.log('info', completed ? `Downloaded ${id}.` : `The download of ${id} was cancelled; the next one resumes where it stopped.`);
      // Loading (and embedding the index anew) can take long: the download is answered first.
      if (completed) void pipeline.applyModels();
      return { completed };
    } finally {
      subscription.dispose();
      downloads.delete(id);
    }
  });

  connection.onRequest(ListChatModelsRequest, () => listDownloadedChatModels(requirePipeline(current).models.modelsDir));
}
