/**
 * Which links from answers may open. Answers quote documents and model output, both
 * untrusted, so the rule is an allowlist shared by the webview (which decides what looks
 * like a link) and the host (which opens it, and must not trust the webview's decision).
 */

/** Web pages and e-mail only: `command:`, `vscode:`, `file:`, `javascript:`, `data:` and relative paths never open. */
const OPENABLE = /^(?:https?:\/\/|mailto:)/i;
const MAX_LINK_LENGTH = 8192;

/** The link normalized for opening, or undefined when it must stay inert. */
export function openableLink(raw: string): string | undefined {
  // No trimming: a URL with leading control characters or spaces is not what it looks like.
  if (raw.length > MAX_LINK_LENGTH || !OPENABLE.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol === 'mailto:') return url.pathname ? url.href : undefined;
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return url.href;
  return undefined;
}
