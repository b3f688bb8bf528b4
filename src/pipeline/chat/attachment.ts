/**
 * A file attached to a question (guide §6.3): FILE_EXTRACTION reads it, SUMMARIZATION has
 * the chat model summarize it, and the question is then answered from the summary and the
 * file's passages that best match it, cited like any workspace source.
 *
 * The summary streams as `content` ahead of the answer, under a "Summary of <file>:" line,
 * so every client (chat view, quick-pick, CLI) shows it without a new event type, and a
 * Stop keeps exactly the partial summary the user saw. Phase events carry the progress
 * ("page 12 of 300", "part 2 of 4").
 *
 * Nothing here holds a model context of its own: summaries run on the chat model's one
 * session (ChatModel.generate), so a Stop leaves no context, sequence or VRAM behind. The
 * PDF worker is terminated by extractPdf's own cancel callback.
 */
import type { ChatEvent, Source } from '../../protocol/events';
import type { FileRef } from '../../protocol/indexing';
import { chunkOptionsOf, type PipelineSettings, hasChatModel } from '../../protocol/settings';
import type { RequestToken } from '../cancellation';
import { chunkDocument } from '../indexing/chunk';
import { extractPdf } from '../indexing/extract/pdf';
import { DEFAULT_MAX_TEXT_BYTES, extractText, kindOf } from '../indexing/extract/text';
import { exactTerms, foldTerm } from '../indexing/store/terms';
import { ExtractionError, type Chunk, type ExtractedDocument } from '../indexing/types';
import type { ChatModel } from '../llm/chatModel';
import { toSource, withoutOverlaps } from '../retrieval/workspaceRetriever';
import type { Retriever } from '../retrieval/retriever';
import { chatMessages } from './messages';

/** Parts of a long file that are summarized; more would keep the user waiting for minutes. */
const MAX_SECTIONS = 4;
/** Summary tokens of a one-part file; a longer file shares SUMMARY_TOKENS_TOTAL among its parts. */
const SUMMARY_TOKENS_SINGLE = 256;
const SUMMARY_TOKENS_TOTAL = 384;
const SUMMARY_TOKENS_MIN = 96;
/** Chat template, instructions and the part's heading, in tokens (generous). */
const PROMPT_OVERHEAD_TOKENS = 320;
/** The file's passages given to the answer besides the summary. */
const PASSAGES = 4;
/** Page progress of a long PDF: a few status lines a second are plenty. */
const PROGRESS_INTERVAL_MS = 250;

const SUMMARY_SYSTEM_PROMPT =
  'You summarize documents. Write a short, factual summary of the text the user gives, in the language of the text. ' +
  'Mention the main topics and any key facts, names and numbers. Do not add anything that is not in the text.';

export interface AttachmentContext {
  model: ChatModel;
  settings: PipelineSettings;
  token: RequestToken;
  /** Phase and status events of the request. */
  send(event: ChatEvent): void;
  /** Summary text as it is written: shown (and kept) ahead of the answer. */
  write(text: string): void;
}

/**
 * Reads and summarizes the attached file; resolves with the retriever the answer uses in
 * place of the workspace's (the file's summary and best passages).
 */
export async function readAttachment(file: FileRef, context: AttachmentContext): Promise<Retriever> {
  const document = await extract(file, context);
  const chunks = chunkDocument(document, chunkOptionsOf(context.settings));
  if (chunks.length === 0) throw new ExtractionError(`${file.displayPath} has no text to read.`, 'noText');
  // Without a chat model there is nothing to summarize with: the answer quotes the file's passages.
  const summary = hasChatModel(context.settings) ? await summarize(file, chunks, context) : '';
  return new AttachmentRetriever(file.displayPath, chunks, summary, chatMessages(context.settings.language).summaryHeading);
}

async function extract(file: FileRef, { token, send, settings }: AttachmentContext): Promise<ExtractedDocument> {
  const status = (text: string) => send({ requestId: token.requestId, phase: 'FILE_EXTRACTION', status: text });
  token.throwIfCancelled();
  token.setPhase('FILE_EXTRACTION');
  status(chatMessages(settings.language).reading(file.displayPath));
  if (kindOf(file.absPath) !== 'pdf') {
    // Through safeRead: a FIFO or a link to /dev/zero is refused, a long read stops on Stop.
    const document = await extractText(file.absPath, file.displayPath, DEFAULT_MAX_TEXT_BYTES, token);
    token.throwIfCancelled();
    return document;
  }
  let lastReport = Date.now();
  return extractPdf(file.absPath, file.displayPath, token, {
    onProgress(page, pageCount) {
      if (token.isCancelled || Date.now() - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = Date.now();
      status(chatMessages(settings.language).readingPage(file.displayPath, page, pageCount));
    },
  });
}

async function summarize(file: FileRef, chunks: Chunk[], context: AttachmentContext): Promise<string> {
  const { token, settings, send, write } = context;
  token.throwIfCancelled();
  token.setPhase('SUMMARIZATION');
  // The window the model really has (the setting clamped to the model and memory), not the setting.
  const contextTokens = await context.model.contextTokens(settings, token);
  const sections = pickSections(chunks, Math.max(512, contextTokens - SUMMARY_TOKENS_SINGLE - PROMPT_OVERHEAD_TOKENS));
  const maxTokens = Math.min(
    settings.maxAnswerTokens,
    sections.length === 1 ? SUMMARY_TOKENS_SINGLE : Math.max(SUMMARY_TOKENS_MIN, Math.floor(SUMMARY_TOKENS_TOTAL / sections.length)),
  );
  let summary = '';
  const add = (text: string) => {
    summary += text;
    write(text);
  };
  for (const [index, section] of sections.entries()) {
    // Between parts: the natural boundary where a Stop lands when it comes between tokens.
    token.throwIfCancelled();
    const words = chatMessages(settings.language);
    const part = sections.length > 1 ? { index: index + 1, count: sections.length } : undefined;
    send({ requestId: token.requestId, phase: 'SUMMARIZATION', status: words.summarizing(file.displayPath, part) });
    if (index === 0) write(`${words.summaryOf(file.displayPath)}\n`);
    else add('\n');
    await context.model.generate(settings, {
      systemPrompt: SUMMARY_SYSTEM_PROMPT,
      history: [],
      prompt: `${describeSection(file.displayPath, section)}\n\n"""\n${section.map((chunk) => chunk.text).join('\n')}\n"""\n\nSummarize this text.`,
      maxTokens,
      token,
      onText: add,
    });
  }
  token.throwIfCancelled();
  write('\n\n');
  return summary.trim();
}

/**
 * The file cut into parts that each fit the context window. A part is measured in UTF-8
 * bytes, not tokens: no tokenizer puts more than one token in a byte, so a part always fits
 * without loading the model to count. A file of more than MAX_SECTIONS parts is summarized
 * from MAX_SECTIONS of them spread evenly over it (its start and its end among them).
 */
export function pickSections(chunks: Chunk[], maxBytes: number): Chunk[][] {
  const sections: Chunk[][] = [];
  let current: Chunk[] = [];
  let size = 0;
  for (const chunk of chunks) {
    const bytes = Buffer.byteLength(chunk.text) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      sections.push(current);
      current = [];
      size = 0;
    }
    // A chunk larger than a part (a huge chunkSize setting) is cut to fit.
    current.push(bytes > maxBytes ? { ...chunk, text: truncateBytes(chunk.text, maxBytes - 1) } : chunk);
    size += Math.min(bytes, maxBytes);
  }
  if (current.length > 0) sections.push(current);
  if (sections.length <= MAX_SECTIONS) return sections;
  return Array.from({ length: MAX_SECTIONS }, (_, i) => sections[Math.round((i * (sections.length - 1)) / (MAX_SECTIONS - 1))]);
}

function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  // A cut inside a multi-byte character leaves a replacement character; drop it.
  return bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
}

function describeSection(path: string, section: Chunk[]): string {
  const first = section[0];
  const last = section[section.length - 1];
  if (first.page !== undefined) {
    return first.page === last.page ? `From ${path}, page ${first.page}:` : `From ${path}, pages ${first.page}–${last.page}:`;
  }
  return `From ${path}, lines ${first.startLine}–${last.endLine}:`;
}

/**
 * The attached file as the answer's sources: the summary first (the file as a whole), then
 * the passages that share the most words with the question (BM25 over accent-folded words,
 * as the workspace index scores them); the file's opening when no word matches.
 */
export class AttachmentRetriever implements Retriever {
  private readonly terms: Map<string, number>[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(
    private readonly path: string,
    private readonly chunks: Chunk[],
    private readonly summary: string,
    /** The heading the summary is cited under, in the user's language. */
    private readonly summaryHeading = 'Summary of the whole file (written by the model)',
  ) {
    this.terms = chunks.map((chunk) => {
      const counts = new Map<string, number>();
      for (const term of exactTerms(chunk.text)) {
        const folded = foldTerm(term);
        counts.set(folded, (counts.get(folded) ?? 0) + 1);
      }
      for (const term of counts.keys()) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      return counts;
    });
    const lengths = this.terms.map((counts) => [...counts.values()].reduce((sum, n) => sum + n, 0));
    this.averageLength = lengths.reduce((sum, n) => sum + n, 0) / Math.max(1, lengths.length);
  }

  async retrieve(query: string, token: RequestToken): Promise<Source[]> {
    token.throwIfCancelled();
    const queryTerms = [...new Set(exactTerms(query).map((term) => foldTerm(term)))];
    const scored = this.chunks
      .map((chunk, i) => ({ ...chunk, score: this.score(i, queryTerms) }))
      .filter((hit) => hit.score > 0)
      .sort((a, b) => b.score - a.score);
    const hits = scored.length > 0 ? withoutOverlaps(scored, PASSAGES) : this.chunks.slice(0, 2).map((chunk) => ({ ...chunk, score: 0 }));
    const passages: Source[] = hits.map((hit) => toSource({ ...hit, path: this.path }));
    if (!this.summary) return passages;
    const top = Math.max(1, ...passages.map((passage) => passage.score));
    return [{ path: this.path, heading: this.summaryHeading, excerpt: this.summary, score: top }, ...passages];
  }

  private score(index: number, queryTerms: string[]): number {
    const counts = this.terms[index];
    const length = [...counts.values()].reduce((sum, n) => sum + n, 0);
    const total = this.chunks.length;
    let score = 0;
    for (const term of queryTerms) {
      const frequency = counts.get(term);
      if (!frequency) continue;
      const documents = this.documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (total - documents + 0.5) / (documents + 0.5));
      score += (idf * frequency * 2.2) / (frequency + 1.2 * (1 - 0.75 + (0.75 * length) / this.averageLength));
    }
    return score;
  }
}
