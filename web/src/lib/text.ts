// Text helpers shared by the screens.

/** Lowercase without accents, for comparisons a person expects. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}
