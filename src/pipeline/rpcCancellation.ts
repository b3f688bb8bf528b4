/**
 * The one bridge from vscode-jsonrpc's cancellation (`$/cancelRequest` from the host) to
 * the pipeline's own RequestToken, which carries phases and callbacks the RPC token does not.
 */
import type { CancellationToken, Disposable } from 'vscode-jsonrpc';
import type { RequestToken } from './cancellation';

/**
 * Cancels `token` when the host cancels the request, at once if it already has (a cancel
 * can arrive before the handler runs). Dispose the result when the request is answered.
 */
export function cancelOnRpc(rpcToken: CancellationToken, token: RequestToken): Disposable {
  const cancel = () => token.cancel();
  if (rpcToken.isCancellationRequested) cancel();
  return rpcToken.onCancellationRequested(cancel);
}
