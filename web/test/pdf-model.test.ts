import { describe, expect, it } from 'vitest';
import { isPdf, MAX_PREVIEW_BYTES, movePage, pageScale, pdfErrorMessage } from '../src/components/mail/pdf-model';

describe('PDF preview', () => {
  it('previews PDFs by type, or by name when the type says nothing', () => {
    expect(isPdf({ type: 'application/pdf', name: 'compte-rendu.pdf' })).toBe(true);
    expect(isPdf({ type: 'Application/PDF; name="x"', name: null })).toBe(true);
    expect(isPdf({ type: 'application/octet-stream', name: 'RESULTATS.PDF' })).toBe(true);
    expect(isPdf({ type: 'application/octet-stream', name: 'resultats.pdf.exe' })).toBe(false);
    expect(isPdf({ type: 'text/html', name: 'piege.pdf' })).toBe(false);
    expect(isPdf({ type: 'image/png', name: 'radio.png' })).toBe(false);
  });
  it('draws a page to the width of the pane, within bounds, sharp on dense screens', () => {
    expect(pageScale(600, 600, 1)).toEqual({ scale: 1, ratio: 1 });
    expect(pageScale(595, 1190, 2)).toEqual({ scale: 2, ratio: 2 });
    expect(pageScale(595, 5000, 1).scale).toBe(2);
    expect(pageScale(100000, 300, 1).scale).toBe(0.25);
    expect(pageScale(0, 300, Number.NaN)).toEqual({ scale: 1, ratio: 1 });
    expect(pageScale(600, 600, 10).ratio).toBe(3);
  });
  it('moves between pages without leaving the document', () => {
    expect(movePage(1, -1, 3)).toBe(1);
    expect(movePage(1, 1, 3)).toBe(2);
    expect(movePage(3, 1, 3)).toBe(3);
    expect(movePage(2, 10, 3)).toBe(3);
    expect(movePage(1, 1, 0)).toBe(1);
  });
  it('names each failure in French with what to do', () => {
    expect(pdfErrorMessage('InvalidPDFException')).toMatch(/endommagé.*téléchargez-le/);
    expect(pdfErrorMessage('FormatError')).toBe(pdfErrorMessage('InvalidPDFException'));
    expect(pdfErrorMessage('PasswordException')).toMatch(/mot de passe/);
    expect(pdfErrorMessage('TooLarge')).toMatch(/50 Mo/);
    expect(MAX_PREVIEW_BYTES).toBe(50 * 1024 * 1024);
    expect(pdfErrorMessage('Network', 401)).toMatch(/session a expiré/);
    expect(pdfErrorMessage('Network', 404)).toMatch(/plus accessible/);
    expect(pdfErrorMessage('Network')).toMatch(/connexion/);
    expect(pdfErrorMessage('TypeError')).toMatch(/L’aperçu de ce PDF a échoué/);
  });
});
