/**
 * What the pipeline itself says to the user (phase status lines, canned answers), in the
 * display language the host passes in the settings (`language`): Vietnamese for `vi…`,
 * English otherwise.
 */
import { STOPPED_MARKER, type ProcessingPhase } from '../../protocol/events';

export interface ChatMessages {
  phase: Partial<Record<ProcessingPhase, string>>;
  nothingFoundStatus: string;
  quotingStatus: string;
  nothingFound(onlyWeakHits: boolean): string;
  fromYourDocuments: string;
  noModelNote: string;
  /** The question came before anything was indexed. */
  notIndexed: string;
  reading(file: string): string;
  readingPage(file: string, page: number, pages: number): string;
  summarizing(file: string, part?: { index: number; count: number }): string;
  summaryOf(file: string): string;
  summaryHeading: string;
  /** Ends a stopped answer, in history and on screen. */
  stoppedMarker: string;
}

const en: ChatMessages = {
  phase: { ANALYSIS: 'Analyzing…', RETRIEVAL: 'Searching…', GENERATION: 'Generating…' },
  nothingFoundStatus: 'Nothing found',
  quotingStatus: 'Quoting the best passages…',
  nothingFound: (onlyWeakHits) =>
    'I found nothing about this in the workspace documents, so I will not guess. ' +
    (onlyWeakHits
      ? 'Some passages share only common words with the question, none of its key words.'
      : 'No passage matched the question.') +
    ' Try other key words, or check that the files are indexed ("Local RAG: Index Workspace").',
  fromYourDocuments: 'From your documents:',
  notIndexed: 'Nothing is indexed yet, so there is nothing to answer from. Index the workspace first ("Local RAG: Index Workspace"); then the question can be answered from its files.',
  noModelNote:
    'No chat model is set up, so this answer quotes the passages that match best instead of writing one. ' +
    'To get written answers, run "Local RAG: Download Models" (or "Local RAG: Select Model", localRag.selectModel) ' +
    'to download the default chat model, or set "localRag.chatModel" to a GGUF file on this machine.',
  reading: (file) => `Reading ${file}…`,
  readingPage: (file, page, pages) => `Reading ${file} (page ${page} of ${pages})…`,
  summarizing: (file, part) => `Summarizing ${file}${part ? ` (part ${part.index} of ${part.count})` : ''}…`,
  summaryOf: (file) => `Summary of ${file}:`,
  summaryHeading: 'Summary of the whole file (written by the model)',
  stoppedMarker: STOPPED_MARKER,
};

const vi: ChatMessages = {
  phase: { ANALYSIS: 'Đang phân tích…', RETRIEVAL: 'Đang tìm kiếm…', GENERATION: 'Đang viết câu trả lời…' },
  nothingFoundStatus: 'Không tìm thấy gì',
  quotingStatus: 'Đang trích các đoạn phù hợp nhất…',
  nothingFound: (onlyWeakHits) =>
    'Tôi không tìm thấy thông tin nào về điều này trong tài liệu của không gian làm việc, nên tôi sẽ không đoán. ' +
    (onlyWeakHits
      ? 'Một số đoạn chỉ có chung những từ thông dụng với câu hỏi, không có từ khóa nào của nó.'
      : 'Không có đoạn nào khớp với câu hỏi.') +
    ' Hãy thử từ khóa khác, hoặc kiểm tra xem các tệp đã được lập chỉ mục chưa ("Local RAG: Lập chỉ mục không gian làm việc").',
  fromYourDocuments: 'Từ tài liệu của bạn:',
  notIndexed: 'Chưa có gì được lập chỉ mục, nên chưa có gì để trả lời. Hãy lập chỉ mục không gian làm việc trước ("Local RAG: Lập chỉ mục không gian làm việc"); sau đó câu hỏi sẽ được trả lời từ các tệp của nó.',
  noModelNote:
    'Chưa thiết lập mô hình trò chuyện, nên câu trả lời này trích các đoạn khớp nhất thay vì tự viết. ' +
    'Để nhận câu trả lời được viết ra, hãy chạy "Local RAG: Tải xuống mô hình" (hoặc "Local RAG: Chọn mô hình", localRag.selectModel) ' +
    'để tải mô hình trò chuyện mặc định, hoặc đặt "localRag.chatModel" thành một tệp GGUF trên máy này.',
  reading: (file) => `Đang đọc ${file}…`,
  readingPage: (file, page, pages) => `Đang đọc ${file} (trang ${page} trên ${pages})…`,
  summarizing: (file, part) => `Đang tóm tắt ${file}${part ? ` (phần ${part.index} trên ${part.count})` : ''}…`,
  summaryOf: (file) => `Tóm tắt ${file}:`,
  summaryHeading: 'Tóm tắt toàn bộ tệp (do mô hình viết)',
  stoppedMarker: '[Đã dừng]',
};

export function chatMessages(language: string | undefined): ChatMessages {
  return /^vi(\b|[-_])/i.test(language ?? '') ? vi : en;
}
