/** The server URL a user types, as every request uses it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serverApiBase } from '../../src/protocol/serverUrl';

test('the /v1 root is found from what users type, and credentials never travel in the URL', () => {
  assert.equal(serverApiBase('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/v1');
  assert.equal(serverApiBase(' http://127.0.0.1:11434/v1/ '), 'http://127.0.0.1:11434/v1');
  assert.equal(serverApiBase('https://gpu.example.com/openai/v1'), 'https://gpu.example.com/openai/v1');
  assert.equal(serverApiBase('https://user:secret@gpu.example.com/v1'), 'https://gpu.example.com/v1');
  assert.equal(serverApiBase('localhost:8080'), undefined, 'no scheme: not guessed');
  assert.equal(serverApiBase('file:///etc/passwd'), undefined);
  assert.equal(serverApiBase(''), undefined);
});
