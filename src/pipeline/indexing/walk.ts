/**
 * The files of a folder that are worth indexing: documents and source by extension,
 * without dependency, build and VCS folders, and without what .gitignore excludes.
 * (In VS Code the host finds files itself, honouring `localRag.include`/`exclude`.)
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FileRef } from '../../protocol/indexing';
import { CODE_EXTENSIONS, MARKDOWN_EXTENSIONS, TEXT_EXTENSIONS } from './extract/text';

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', 'build', 'target', '__pycache__', 'venv', '.venv']);

export function isIndexable(filePath: string): boolean {
  const extension = path.extname(filePath).toLowerCase();
  return extension === '.pdf' || MARKDOWN_EXTENSIONS.has(extension) || TEXT_EXTENSIONS.has(extension) || CODE_EXTENSIONS.has(extension);
}

export async function walkFolder(root: string): Promise<FileRef[]> {
  const rules = ignore();
  try {
    rules.add(await fs.readFile(path.join(root, '.gitignore'), 'utf8'));
  } catch {
    // No .gitignore: nothing more to skip.
  }
  const files: FileRef[] = [];
  await walk(root, root, rules, files);
  return files.sort((a, b) => a.displayPath.localeCompare(b.displayPath));
}

async function walk(root: string, dir: string, rules: Ignore, files: FileRef[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const absPath = path.join(dir, entry.name);
    const relative = path.relative(root, absPath).split(path.sep).join('/');
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name) || rules.ignores(`${relative}/`)) continue;
      await walk(root, absPath, rules, files);
    } else if (entry.isFile() && isIndexable(entry.name) && !rules.ignores(relative)) {
      files.push({ absPath, displayPath: relative });
    }
  }
}
