/**
 * The chat model's status bar item: which model, and once it is loaded which device runs
 * it (CUDA, Vulkan, Metal or CPU, layers offloaded, threads). A GPU that failed and left the
 * model on the CPU is said in a warning the user sees, not only in the log.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeviceInfo } from '../protocol/rpc';
import type { Log } from './log';

const DEVICE_NAMES: Record<string, string> = { cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' };

export function deviceLabel(device: DeviceInfo): string {
  return device.gpu === false ? 'CPU' : (DEVICE_NAMES[device.gpu] ?? device.gpu);
}

/** One line for the tooltip and the log: "CUDA (NVIDIA H200), 29 layers offloaded, 15 threads". */
export function describeDevice(device: DeviceInfo): string {
  const threads = `${device.threads} CPU thread${device.threads === 1 ? '' : 's'}`;
  if (device.gpu === false) return `CPU, ${threads}`;
  const names = device.deviceNames.length ? ` (${device.deviceNames.join(', ')})` : '';
  return `${deviceLabel(device)}${names}, ${device.gpuLayers} layers offloaded to the GPU, ${threads}`;
}

export class ModelStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('localRag.model', vscode.StatusBarAlignment.Left, 9);
  private lastDevice: DeviceInfo | undefined;
  /** The setting the device was reported for: another model has not been loaded yet. */
  private deviceFor = '';

  constructor(
    private readonly log: Log,
    /** The `localRag.chatModel` value in effect. */
    private readonly configured: () => string,
  ) {
    this.item.name = 'Local RAG Model';
    this.item.command = 'localRag.selectModel';
    this.render();
    this.item.show();
  }

  /** The device of the last model load, for tests and the tooltip. */
  get device(): DeviceInfo | undefined {
    return this.lastDevice;
  }

  get text(): string {
    return this.item.text;
  }

  get tooltip(): string {
    return typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? '');
  }

  /** The settings changed: the old device no longer describes the model to come. */
  render(): void {
    const model = this.configured();
    const device = this.deviceFor === model ? this.lastDevice : undefined;
    const name = model ? path.basename(model.replace(/^hf:/, '')) : 'no chat model';
    this.item.text = `$(hubot) ${device ? deviceLabel(device) : name}`;
    const lines = [`Chat model: ${model || 'none set (Select Model downloads the default one)'}`];
    lines.push(device ? `Running on ${describeDevice(device)}` : 'Device: chosen when the model loads, at the next question');
    if (device?.fallback) lines.push(`GPU not used: ${device.fallback}`);
    lines.push('', 'Click to select another model');
    this.item.tooltip = lines.join('\n');
  }

  onDevice(device: DeviceInfo): void {
    this.lastDevice = device;
    this.deviceFor = this.configured();
    this.log.info(`Chat model ${device.modelPath ?? ''} runs on ${describeDevice(device)}.`);
    this.render();
    if (!device.fallback) return;
    this.log.warn(`GPU not used: ${device.fallback}. The chat model runs on the CPU.`);
    void vscode.window
      .showWarningMessage(
        `Local RAG: ${device.fallback}, so the chat model runs on the CPU and answers more slowly. Set "localRag.gpuLayers" to 0 to use the CPU on purpose, or a lower number of layers.`,
        'Show Log',
        'Open Settings',
      )
      .then((choice) => {
        if (choice === 'Show Log') this.log.show();
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.gpuLayers');
      });
  }

  dispose(): void {
    this.item.dispose();
  }
}
