/**
 * The model server settings: a cloned repository must not be able to send the user's
 * questions and passages to a server of its choosing, and no API key ever sits in settings.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, unknown> }; commands: { command: string }[] };
};

test('every server setting is restricted in untrusted workspaces', () => {
  const declared = Object.keys(manifest.contributes.configuration.properties).filter((key) => key === 'localRag.chatProvider' || key.startsWith('localRag.server.'));
  assert.deepEqual(declared.sort(), [
    'localRag.chatProvider',
    'localRag.server.baseUrl',
    'localRag.server.chatModel',
    'localRag.server.embeddingModel',
    'localRag.server.firstByteTimeout',
    'localRag.server.rerankerModel',
  ]);
  const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of declared) assert.ok(restricted.includes(key), `${key} is restricted`);
});

test('the API key is a command into secret storage, never a setting', () => {
  assert.ok(!Object.keys(manifest.contributes.configuration.properties).some((key) => /apikey|api_key|secret|password|\.key$|token$/i.test(key)), 'no setting holds a key');
  assert.ok(manifest.contributes.commands.some((command) => command.command === 'localRag.setServerApiKey'));
});
