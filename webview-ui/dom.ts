/** DOM helpers for the chat view: everything from documents and models goes in as text. */
export function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(className: string, text: string, label: string = text): HTMLButtonElement {
  const node = element('button', className, text) as HTMLButtonElement;
  node.type = 'button';
  node.setAttribute('aria-label', label);
  node.title = label;
  return node;
}
