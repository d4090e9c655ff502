// What the PDF preview decides without pdf.js nor a DOM: which attachments it
// previews, the scale a page is drawn at, the page to show after a move, and the
// French sentence of each failure. Tested in web/test/pdf-model.test.ts.

/** Whether an attachment is a PDF to preview: its type, or its name when the type says nothing. */
export function isPdf(a: { type: string; name?: string | null }): boolean {
  const t = a.type.toLowerCase().split(';')[0].trim();
  if (t === 'application/pdf' || t === 'application/x-pdf') return true;
  return t === 'application/octet-stream' && /\.pdf$/i.test(a.name || '');
}

/**
 * The scale a page of `pageWidth` PDF points is drawn at to fill `boxWidth` CSS
 * pixels (never above 2× nor under 0.25×), and the canvas's pixel ratio.
 */
export function pageScale(pageWidth: number, boxWidth: number, devicePixelRatio = 1): { scale: number; ratio: number } {
  const fit = pageWidth > 0 && boxWidth > 0 ? boxWidth / pageWidth : 1;
  const scale = Math.min(2, Math.max(0.25, fit));
  const ratio = Math.min(3, Math.max(1, devicePixelRatio || 1));
  return { scale, ratio };
}

/** The page after moving by `delta` from `page`, kept within 1..`count`. */
export function movePage(page: number, delta: number, count: number): number {
  if (count < 1) return 1;
  return Math.min(count, Math.max(1, page + delta));
}

/** The largest PDF previewed in the page (bigger ones are only downloaded). */
export const MAX_PREVIEW_BYTES = 50 * 1024 * 1024;

/** The French sentence for a preview failure: `name` is pdf.js's exception name, or ours. */
export function pdfErrorMessage(name: string, status = 0): string {
  switch (name) {
    case 'PasswordException':
      return 'Ce PDF est protégé par un mot de passe : téléchargez-le et ouvrez-le avec votre lecteur de PDF.';
    case 'InvalidPDFException':
    case 'FormatError':
    case 'UnknownErrorException':
      return 'Ce PDF est endommagé ou n’est pas un vrai PDF : l’aperçu est impossible. Demandez à l’expéditeur de le renvoyer, ou téléchargez-le pour l’ouvrir avec un autre logiciel.';
    case 'TooLarge':
      return 'Ce PDF est trop volumineux pour l’aperçu (plus de 50 Mo) : téléchargez-le pour l’ouvrir.';
    case 'Network':
      if (status === 401) return 'Votre session a expiré : connectez-vous de nouveau pour voir ce PDF.';
      if (status === 403 || status === 404) return 'Ce PDF n’est plus accessible dans cette boîte aux lettres.';
      return 'Le PDF n’a pas pu être chargé : vérifiez votre connexion puis réessayez.';
    default:
      return 'L’aperçu de ce PDF a échoué : téléchargez-le pour l’ouvrir avec votre lecteur de PDF.';
  }
}
