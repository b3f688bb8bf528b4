/**
 * Keeps the newest part of the conversation in sight. While following — the default, again
 * after the user sends a question or scrolls back to the end — any growth of the log (the
 * phase line, tokens, the sources list, buttons) scrolls it to the end. Scrolling up is the
 * user's choice: following stops and "Jump to latest" appears until they come back.
 *
 * Growth is seen with a MutationObserver rather than checked where content is added, so no
 * path that adds content (a phase line, sources, a badge) can push the end out of sight.
 */
import { s } from './strings';

/** Within this many pixels of the end counts as at the end. */
const AT_END_PX = 40;

export interface Follow {
  /** Follows the end again and scrolls there (a question sent, a conversation opened). */
  resume(): void;
  readonly following: boolean;
}

export function followLatest(log: HTMLElement): Follow {
  let following = true;
  /** Where the log was last scrolled to, by us or the user: moving up from it is the user's doing. */
  let lastTop = log.scrollTop;

  const bar = document.createElement('div');
  bar.className = 'jump-latest-bar';
  const jump = document.createElement('button');
  jump.type = 'button';
  jump.className = 'jump-latest secondary';
  jump.textContent = s.jumpToLatest;
  jump.hidden = true;
  bar.append(jump);
  log.after(bar);

  const distanceToEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight;
  const toEnd = () => {
    log.scrollTop = log.scrollHeight;
    lastTop = log.scrollTop;
  };
  const setFollowing = (value: boolean) => {
    following = value;
    jump.hidden = value;
  };

  log.addEventListener('scroll', () => {
    if (distanceToEnd() <= AT_END_PX) setFollowing(true);
    else if (log.scrollTop < lastTop - 1) setFollowing(false);
    lastTop = log.scrollTop;
  });
  new MutationObserver(() => {
    if (following) toEnd();
  }).observe(log, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['hidden', 'class'] });
  // A narrower or shorter view moves the end too.
  new ResizeObserver(() => {
    if (following) toEnd();
  }).observe(log);

  const follow: Follow = {
    resume() {
      setFollowing(true);
      toEnd();
    },
    get following() {
      return following;
    },
  };
  jump.addEventListener('click', () => follow.resume());
  return follow;
}
