/**
 * The one bridge from vscode-jsonrpc's cancellation (`$/cancelRequest` from the host) to
 * the pipeline's own token, which carries phases and callbacks the RPC token does not.
 */
import type { CancellationToken as RpcCancellationToken, Disposable } from 'vscode-jsonrpc';

/**
 * Runs `cancel` when the host cancels the request, at once if it already has (a cancel can
 * arrive before the handler runs). Dispose the result when the request is answered.
 */
export function onRpcCancel(rpcToken: RpcCancellationToken, cancel: () => void): Disposable {
  if (rpcToken.isCancellationRequested) cancel();
  return rpcToken.onCancellationRequested(cancel);
}
