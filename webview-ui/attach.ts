/**
 * The composer's attached file: the Attach button, files dropped on the view, and the chip
 * that names the file the next question goes with.
 *
 * A webview gets drops only while Shift is held (without it VS Code opens the dragged file
 * in an editor). A drag from the Explorer or an editor tab carries the file's URI: VS Code's
 * own `application/vnd.code.uri-list` and `resourceurls` carry them all, the standard
 * `text/uri-list` only the first. Files dragged from the operating system arrive without a
 * path a webview can see, so only the Attach button reaches those.
 *
 * The host names the file; the view keeps only the id it was given for it.
 */
import type { HostToWebview, WebviewToHost } from '../src/protocol/webviewMessages';
import { fmt, s } from './strings';

type Offered = Extract<HostToWebview, { type: 'attachment' }>['attachment'];

export interface Attachments {
  /** The id of the attached file, taken off the composer (it goes with one question). */
  take(): string | undefined;
  show(attachment: Offered): void;
}

export function setupAttachments(post: (message: WebviewToHost) => void, dropTarget: HTMLElement): Attachments {
  const chip = byId('attachment');
  const name = byId('attachment-name');
  const attachButton = byId<HTMLButtonElement>('attach');
  const detachButton = byId<HTMLButtonElement>('detach');
  let current: Offered;

  const show = (attachment: Offered) => {
    current = attachment;
    chip.hidden = !attachment;
    name.textContent = attachment ? fmt(s.attached, attachment.name) : '';
    chip.title = attachment ? `${attachment.name} is read and summarized before the next question is answered` : '';
  };

  attachButton.addEventListener('click', () => post({ type: 'pickAttachment' }));
  detachButton.addEventListener('click', () => show(undefined));

  dropTarget.addEventListener('dragover', (event) => {
    // Accepting the drag is what makes the browser deliver the drop at all.
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    dropTarget.classList.add('drop-target');
  });
  dropTarget.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null || !dropTarget.contains(event.relatedTarget as Node)) dropTarget.classList.remove('drop-target');
  });
  dropTarget.addEventListener('drop', (event) => {
    event.preventDefault();
    dropTarget.classList.remove('drop-target');
    const uris = droppedUris(event.dataTransfer);
    if (uris.length > 0) post({ type: 'dropAttachment', uris });
    else if (event.dataTransfer?.files.length) {
      name.textContent = s.dropOutside;
      chip.hidden = false;
      current = undefined;
    }
  });

  return {
    take() {
      const id = current?.id;
      show(undefined);
      return id;
    },
    show,
  };
}

/** Every URI in the drop, VS Code's full lists first. */
function droppedUris(data: DataTransfer | null): string[] {
  if (!data) return [];
  const vscodeList = data.getData('application/vnd.code.uri-list');
  if (vscodeList) return splitUriList(vscodeList);
  const resources = data.getData('resourceurls');
  if (resources) {
    try {
      const parsed: unknown = JSON.parse(resources);
      if (Array.isArray(parsed)) return parsed.filter((uri): uri is string => typeof uri === 'string');
    } catch {
      // Not the JSON list VS Code writes: fall through to text/uri-list.
    }
  }
  return splitUriList(data.getData('text/uri-list'));
}

/** RFC 2483: one URI a line, `#` lines are comments. */
function splitUriList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing #${id}`);
  return element as T;
}
