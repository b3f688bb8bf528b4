/**
 * The one node-llama-cpp runtime of the pipeline process: GPU detected automatically, CPU
 * as the fallback, and the device that was really used reported once.
 */
import type { Llama } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { DeviceInfo } from '../../protocol/rpc';
import { describeError, type Logger } from '../log';

export type NodeLlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });

let modulePromise: Promise<NodeLlamaCpp> | undefined;

/** node-llama-cpp is ESM with top-level await: a CommonJS bundle must load it with import(). */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import('node-llama-cpp');
  return modulePromise;
}

export interface RuntimeRequest {
  useGpu: boolean;
}

/**
 * What the load in progress did with the GPU, reported by describeDevice. ChatModel asks for
 * a CPU runtime right after a GPU one only when loading the model on that GPU failed, so
 * that order is the fallback: the user is told, never left with a silent slowdown.
 */
let gpuBackendTried: string | false = false;
let fallback: string | undefined;

export async function createLlama(request: RuntimeRequest, logger: Logger): Promise<Llama> {
  const { getLlama, LlamaLogLevel } = await loadNodeLlamaCpp();
  const common = {
    // Never compile llama.cpp inside a user's editor, never fetch binaries: use the prebuilt ones.
    build: 'never' as const,
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger: (_level: unknown, message: string) => logger.log('warn', `llama.cpp: ${message.trim()}`),
  };
  // A load that failed altogether never reached describeDevice: its state is stale now.
  if (request.useGpu || !gpuBackendTried) fallback = undefined;
  if (request.useGpu) {
    try {
      const llama = await getLlama({ ...common, gpu: 'auto' });
      gpuBackendTried = llama.gpu;
      return llama;
    } catch (error) {
      fallback = `No usable GPU backend (${describeError(error)})`;
      logger.log('warn', `${fallback}; using the CPU.`);
    }
  } else if (gpuBackendTried) {
    fallback = `Loading the chat model on the GPU (${gpuBackendTried}) failed`;
  }
  gpuBackendTried = false;
  return getLlama({ ...common, gpu: false });
}

export async function describeDevice(llama: Llama, threads: number, gpuLayers: number): Promise<DeviceInfo> {
  const deviceNames = llama.gpu === false ? [] : await llama.getGpuDeviceNames().catch(() => []);
  const device: DeviceInfo = { gpu: llama.gpu, deviceNames, threads, gpuLayers, ...(fallback && llama.gpu === false ? { fallback } : {}) };
  gpuBackendTried = false;
  fallback = undefined;
  return device;
}
