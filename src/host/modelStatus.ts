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
  const threads = device.threads === 1 ? vscode.l10n.t('1 CPU thread') : vscode.l10n.t('{0} CPU threads', device.threads);
  if (device.gpu === false) return `CPU, ${threads}`;
  const names = device.deviceNames.length ? ` (${device.deviceNames.join(', ')})` : '';
  return vscode.l10n.t('{0}{1}, {2} layers offloaded to the GPU, {3}', deviceLabel(device), names, device.gpuLayers, threads);
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
    /** The model server answers come from instead, when `localRag.chatProvider` says so. */
    private readonly server: () => { baseUrl: string; model: string } | undefined = () => undefined,
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
    const server = this.server();
    if (server) return this.renderServer(server);
    const model = this.configured();
    const device = this.deviceFor === model ? this.lastDevice : undefined;
    const name = model ? (device?.modelName ?? path.basename(model.replace(/^hf:/, '')).replace(/\.gguf$/i, '')) : vscode.l10n.t('no chat model');
    // Which model, and once loaded where it runs: "Qwen2.5 1.5B Instruct · CUDA".
    this.item.text = `$(hubot) ${device ? `${name} · ${deviceLabel(device)}` : name}`;
    const lines = [vscode.l10n.t('Chat model: {0}', model || vscode.l10n.t('none set (Select Model downloads the default one)'))];
    lines.push(device ? vscode.l10n.t('Running on {0}', describeDevice(device)) : vscode.l10n.t('Device: chosen when the model loads, at the next question'));
    if (device?.fallback) lines.push(vscode.l10n.t('GPU not used: {0}', device.fallback));
    lines.push('', vscode.l10n.t('Click to select another model'));
    this.item.tooltip = lines.join('\n');
  }

  /** A server's model: its name and host ("qwen2.5 · 10.0.0.5:8080"); the device is the server's business. */
  private renderServer({ baseUrl, model }: { baseUrl: string; model: string }): void {
    let host = baseUrl;
    try {
      host = new URL(baseUrl).host;
    } catch {
      // Shown as set: the answer's error says what is wrong with it.
    }
    const name = model || vscode.l10n.t('first model listed');
    this.item.text = `$(hubot) ${name} · ${host || vscode.l10n.t('no server set')}`;
    this.item.tooltip = [
      vscode.l10n.t('Model server: {0}', baseUrl || vscode.l10n.t('none set ("localRag.server.baseUrl")')),
      vscode.l10n.t('Chat model: {0}', name),
      '',
      vscode.l10n.t('Click to select another model'),
    ].join('\n');
  }

  onDevice(device: DeviceInfo): void {
    this.lastDevice = device;
    this.deviceFor = this.configured();
    this.log.info(`Chat model ${device.modelPath ?? ''} runs on ${describeDevice(device)}.`);
    this.render();
    if (!device.fallback) return;
    this.log.warn(`GPU not used: ${device.fallback}. The chat model runs on the CPU.`);
    const showLog = vscode.l10n.t('Show Log');
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window
      .showWarningMessage(
        vscode.l10n.t('Local RAG: {0}, so the chat model runs on the CPU and answers more slowly. Set "localRag.gpuLayers" to 0 to use the CPU on purpose, or a lower number of layers.', device.fallback),
        showLog,
        openSettings,
      )
      .then((choice) => {
        if (choice === showLog) this.log.show();
        if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.gpuLayers');
      });
  }

  dispose(): void {
    this.item.dispose();
  }
}
