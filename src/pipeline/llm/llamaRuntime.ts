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
  if (request.useGpu) {
    try {
      return await getLlama({ ...common, gpu: 'auto' });
    } catch (error) {
      logger.log('warn', `No usable GPU backend (${describeError(error)}); using the CPU.`);
    }
  }
  return getLlama({ ...common, gpu: false });
}

export async function describeDevice(llama: Llama, threads: number, gpuLayers: number): Promise<DeviceInfo> {
  const deviceNames = llama.gpu === false ? [] : await llama.getGpuDeviceNames().catch(() => []);
  return { gpu: llama.gpu, deviceNames, threads, gpuLayers };
}
