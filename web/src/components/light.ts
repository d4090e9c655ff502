// Components render into the light DOM: the one built stylesheet applies, labels
// and ids work across the page, and no inline style is ever needed (CSP).
import { LitElement } from 'lit';
import { store } from '../lib/store';

export class Light extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

/** A component that re-renders when the shared store changes. */
export class Connected extends Light {
  private unsubscribe: (() => void) | null = null;
  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = store.subscribe(() => this.requestUpdate());
  }
  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
  }
}

let counter = 0;
/** A page-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Moves focus to the page's main heading after navigation (screen readers, keyboard). */
export function focusHeading(root: HTMLElement): void {
  const h = root.querySelector<HTMLElement>('h1');
  if (h) {
    h.tabIndex = -1;
    h.focus({ preventScroll: false });
  }
}
