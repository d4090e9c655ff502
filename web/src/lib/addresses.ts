// The guide's « Compte(s) de connexion » entry: several addresses in one text,
// separated by commas (the form), semicolons (the file) or spaces.

/** Splits the text into lowercase addresses, without blanks or repeats, in order. */
export function splitAddresses(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[,;\s]+/)) {
    const a = part.trim().replace(/^<|>$/g, '').toLowerCase();
    if (!a || seen.has(a)) continue;
    seen.add(a);
    out.push(a);
  }
  return out;
}

/** A light shape check, only to guide the person; the server decides. */
export function looksLikeAddress(a: string): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a);
}

/**
 * The part being typed (after the last separator), for the suggestions, and
 * the text with that part replaced by a chosen address.
 */
export function currentToken(text: string): string {
  const m = /[^,;\s]*$/.exec(text);
  return m ? m[0] : '';
}

export function replaceCurrentToken(text: string, address: string): string {
  const token = currentToken(text);
  const head = text.slice(0, text.length - token.length);
  return `${head}${address}, `;
}
