/**
 * The chat webview's own words, in English and Vietnamese. The host picks the table from
 * `vscode.env.language` (it writes the static HTML with it and sets `<html lang>`); the
 * webview reads `document.documentElement.lang` and calls `webviewStrings` with it.
 * Placeholders are `{0}`, `{1}`…, filled by `formatString`.
 */
const en = {
  conversation: 'Conversation',
  jumpToLatest: 'Jump to latest ↓',
  question: 'Ask a question',
  questionPlaceholder: 'Ask about your documents… (Shift-drag a file here to attach it)',
  attach: 'Attach',
  attachLabel: 'Attach a file',
  attachTitle: 'Attach a file to the question',
  detach: 'Remove the attached file',
  attached: 'Attached: {0}',
  dropOutside: 'Files from outside VS Code cannot be dropped here: use Attach, or Shift-drag the file from the Explorer.',
  newChat: 'New',
  newChatLabel: 'New chat',
  history: 'History',
  historyLabel: 'Earlier conversations',
  stop: 'Stop',
  stopTitle: 'Stop (Esc)',
  send: 'Send',
  sendTitle: 'Send (Enter)',
  stopped: 'Stopped',
  stoppedAfter: 'after {0} s',
  stoppedAfterLabel: 'Stopped after {0} seconds',
  stoppedMarker: '[Stopped]',
  retry: 'Retry',
  retryLabel: 'Retry: ask the same question again',
  indexAndAnswer: 'Index Workspace and Answer',
  indexAndAnswerLabel: 'Index the workspace, then answer this question',
  regenerate: 'Regenerate',
  regenerateLabel: 'Regenerate: ask this question again, replacing the answer',
  copy: 'Copy',
  copyLabel: 'Copy the answer',
  copied: 'Copied',
  copyCode: 'Copy code',
  answerActions: 'Answer actions',
  sources: 'Sources',
  source: 'Source {0}: {1}',
  page: 'page {0}',
  lines: 'lines {0}–{1}',
  score: 'score {0}',
  seconds: '{0} s',
  close: 'Close',
  closeHistory: 'Close the history',
  noConversations: 'No earlier conversations yet. New Chat keeps the current one here.',
  emptyIntro:
    'Ask questions about the documents in this workspace (Markdown, text, code, PDF). Answers cite the passages they draw on; click a citation to open the place.',
  emptyPrivate: 'Everything runs on this machine: the index and the models stay here.',
  indexWorkspace: 'Index Workspace',
  selectModel: 'Select Model',
  downloadModels: 'Download Models',
  notIndexed: 'This workspace is not indexed yet: index it so questions can be answered from its files.',
  indexed: 'Indexed: {0} files, {1} passages.',
  indexedOne: 'Indexed: {0} file, {1} passages.',
} as const;

export type WebviewStringKey = keyof typeof en;
export type WebviewStrings = Record<WebviewStringKey, string>;

const vi: WebviewStrings = {
  conversation: 'Cuộc trò chuyện',
  jumpToLatest: 'Đến tin mới nhất ↓',
  question: 'Đặt câu hỏi',
  questionPlaceholder: 'Hỏi về tài liệu của bạn… (giữ Shift và kéo tệp vào đây để đính kèm)',
  attach: 'Đính kèm',
  attachLabel: 'Đính kèm tệp',
  attachTitle: 'Đính kèm tệp vào câu hỏi',
  detach: 'Bỏ tệp đính kèm',
  attached: 'Đã đính kèm: {0}',
  dropOutside: 'Không thể thả tệp từ bên ngoài VS Code vào đây: hãy dùng Đính kèm, hoặc giữ Shift và kéo tệp từ Explorer.',
  newChat: 'Mới',
  newChatLabel: 'Cuộc trò chuyện mới',
  history: 'Lịch sử',
  historyLabel: 'Các cuộc trò chuyện trước',
  stop: 'Dừng',
  stopTitle: 'Dừng (Esc)',
  send: 'Gửi',
  sendTitle: 'Gửi (Enter)',
  stopped: 'Đã dừng',
  stoppedAfter: 'sau {0} giây',
  stoppedAfterLabel: 'Đã dừng sau {0} giây',
  stoppedMarker: '[Đã dừng]',
  retry: 'Thử lại',
  retryLabel: 'Thử lại: hỏi lại cùng câu hỏi',
  indexAndAnswer: 'Lập chỉ mục và trả lời',
  indexAndAnswerLabel: 'Lập chỉ mục không gian làm việc, rồi trả lời câu hỏi này',
  regenerate: 'Tạo lại',
  regenerateLabel: 'Tạo lại: hỏi lại câu này và thay câu trả lời',
  copy: 'Sao chép',
  copyLabel: 'Sao chép câu trả lời',
  copied: 'Đã sao chép',
  copyCode: 'Sao chép mã',
  answerActions: 'Thao tác với câu trả lời',
  sources: 'Nguồn',
  source: 'Nguồn {0}: {1}',
  page: 'trang {0}',
  lines: 'dòng {0}–{1}',
  score: 'điểm {0}',
  seconds: '{0} giây',
  close: 'Đóng',
  closeHistory: 'Đóng lịch sử',
  noConversations: 'Chưa có cuộc trò chuyện nào trước đây. Cuộc trò chuyện mới sẽ lưu cuộc hiện tại ở đây.',
  emptyIntro:
    'Đặt câu hỏi về tài liệu trong không gian làm việc này (Markdown, văn bản, mã nguồn, PDF). Câu trả lời trích dẫn các đoạn mà nó dựa vào; nhấp vào trích dẫn để mở đúng chỗ.',
  emptyPrivate: 'Mọi thứ chạy trên máy này: chỉ mục và các mô hình đều ở lại đây.',
  indexWorkspace: 'Lập chỉ mục không gian làm việc',
  selectModel: 'Chọn mô hình',
  downloadModels: 'Tải xuống mô hình',
  notIndexed: 'Không gian làm việc này chưa được lập chỉ mục: hãy lập chỉ mục để câu hỏi được trả lời từ các tệp của nó.',
  indexed: 'Đã lập chỉ mục: {0} tệp, {1} đoạn.',
  indexedOne: 'Đã lập chỉ mục: {0} tệp, {1} đoạn.',
};

export const WEBVIEW_STRINGS: Readonly<Record<'en' | 'vi', WebviewStrings>> = { en, vi };

/** English unless the display language is Vietnamese (`vi`, `vi-VN`…). */
export function uiLanguage(displayLanguage: string | undefined): 'en' | 'vi' {
  return /^vi(\b|[-_])/i.test(displayLanguage ?? '') ? 'vi' : 'en';
}

export function webviewStrings(displayLanguage: string | undefined): WebviewStrings {
  return WEBVIEW_STRINGS[uiLanguage(displayLanguage)];
}

/** Fills `{0}`, `{1}`… with the values given. */
export function formatString(template: string, ...values: Array<string | number>): string {
  return template.replace(/\{(\d+)\}/g, (match, index: string) => (Number(index) < values.length ? String(values[Number(index)]) : match));
}
