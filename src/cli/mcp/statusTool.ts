/** `index_status`: what the index holds, what failed and why, and when it last changed. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { IndexReader } from './indexReader';

export function registerStatusTool(server: McpServer, reader: IndexReader): void {
  server.registerTool(
    'index_status',
    {
      title: 'Local document index status',
      description: 'Reports how many files and passages (chunks) the local index holds, which files could not be read and why, and when it was last updated.',
      inputSchema: {},
      outputSchema: {
        store: z.string(),
        files: z.number().int(),
        chunks: z.number().int(),
        failures: z.array(z.object({ path: z.string(), reason: z.string(), message: z.string() })),
        lastUpdate: z.string().optional().describe('ISO time of the last save'),
        search: z.enum(['hybrid', 'keywords']),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const index = await reader.index();
      const { files, chunks, failures } = index.status();
      const lastUpdate = await reader.lastUpdate();
      const status = {
        store: reader.store,
        files,
        chunks,
        failures: failures.map(({ path, reason, message }) => ({ path, reason, message })),
        ...(lastUpdate ? { lastUpdate } : {}),
        search: index.isHybrid ? ('hybrid' as const) : ('keywords' as const),
      };
      const lines = [
        `Index ${reader.store}: ${files} files, ${chunks} chunks, ${failures.length} failed; search: ${status.search}; last updated ${lastUpdate ?? 'never'}.`,
        ...failures.map((failure) => `  ${failure.path}: ${failure.reason} (${failure.message})`),
      ];
      return { content: [{ type: 'text', text: lines.join('\n') }], structuredContent: status };
    },
  );
}
