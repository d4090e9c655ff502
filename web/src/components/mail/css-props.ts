// Sets CSS properties through the CSSOM (element.style.setProperty), which the
// server's CSP allows, unlike a style attribute (Lit's styleMap writes the
// attribute on first render, which `default-src 'self'` blocks).
import { noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

class CssProps extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('cssProps goes on an element');
  }
  render(_props: Record<string, string>) {
    return noChange;
  }
  override update(part: ElementPart, [props]: [Record<string, string>]) {
    const style = (part.element as HTMLElement).style;
    for (const [k, v] of Object.entries(props)) if (style.getPropertyValue(k) !== v) style.setProperty(k, v);
    return noChange;
  }
}

export const cssProps = directive(CssProps);
