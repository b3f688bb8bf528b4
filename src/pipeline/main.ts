/**
 * Entry point of the pipeline child process (forked by the extension host with an IPC
 * channel). It exits when its parent goes away, so no model stays loaded in an orphan.
 */
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { yieldCpuToEditor } from './priority';
import { servePipeline } from './server';

if (!process.send) {
  process.stderr.write('The Local RAG pipeline must be started by the extension (it needs an IPC channel).\n');
  process.exit(2);
}

// Before the models start their threads, which inherit it.
const priorityProblem = yieldCpuToEditor();
if (priorityProblem) process.stderr.write(`Local RAG could not lower the pipeline's priority (${priorityProblem}); the editor may stutter while it answers.\n`);

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
const pipeline = servePipeline(connection);

let exiting = false;
async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  const forceExit = setTimeout(() => process.exit(code), 2000);
  forceExit.unref();
  await pipeline.dispose().catch(() => {});
  process.exit(code);
}

process.on('disconnect', () => void exit(0));
connection.onClose(() => void exit(0));
process.on('SIGTERM', () => void exit(0));

// The IPC channel closes when the parent dies, but check the parent too in case it hangs on to it.
const parentPid = process.ppid;
setInterval(() => {
  try {
    process.kill(parentPid, 0);
  } catch {
    void exit(0);
  }
}, 5000).unref();

connection.listen();
