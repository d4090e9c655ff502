import { describe, expect, it } from 'vitest';
import { acceptedFile, canApply, initialFlow, isRunning, progressFraction, reduceImport, type ImportEvent } from '../src/lib/import-flow';
import type { ImportJob } from '../src/lib/types';

const run = (events: ImportEvent[]) => events.reduce(reduceImport, initialFlow);
const report = (rejected = 0, fileError = false) => ({
  counts: { created: 3, updated: 1, unchanged: 2, rejected, rights_granted: 2, rights_revoked: 0 },
  rows: [],
  file_findings: fileError ? [{ header: 'CP', severity: 'error' as const, code: 'missing', message: 'Colonne CP absente.' }] : [],
});
const job = (state: ImportJob['state'], extra: Partial<ImportJob> = {}): ImportJob => ({ id: 'j1', state, ...extra });

describe('import flow', () => {
  it('walks choose → upload → planning → planned → applying → applied', () => {
    let s = run([{ kind: 'file', name: 'liste.xlsx' }, { kind: 'option', name: 'notify', value: false }]);
    expect(s.phase).toBe('choose');
    expect(s.notify).toBe(false);
    expect(s.visible).toBe(true);
    s = reduceImport(s, { kind: 'upload' });
    expect(s.phase).toBe('uploading');
    expect(isRunning(s)).toBe(true);
    s = reduceImport(s, { kind: 'job', job: job('planning', { progress: { rows_read: 0, rows_applied: 0, total: 200 } }) });
    s = reduceImport(s, { kind: 'progress', rows_read: 50, rows_applied: 0 });
    expect(progressFraction(s)).toBe(0.25);
    s = reduceImport(s, { kind: 'job', job: job('planned', { report: report() }) });
    expect(s.phase).toBe('planned');
    expect(canApply(s)).toBe(true);
    s = reduceImport(s, { kind: 'apply' });
    expect(s.phase).toBe('applying');
    s = reduceImport(s, { kind: 'progress', rows_read: 200, rows_applied: 100 });
    expect(progressFraction(s)).toBe(0.5);
    s = reduceImport(s, { kind: 'job', job: job('applied', { report: report(), dry_run: false }) });
    expect(s.phase).toBe('applied');
    expect(isRunning(s)).toBe(false);
  });

  it('never moves backwards on a late event', () => {
    let s = run([{ kind: 'file', name: 'a.csv' }, { kind: 'upload' }, { kind: 'job', job: job('planned', { report: report() }) }]);
    s = reduceImport(s, { kind: 'state', state: 'planning' });
    expect(s.phase).toBe('planned');
    s = reduceImport(s, { kind: 'job', job: job('planning') });
    expect(s.phase).toBe('planned');
    expect(s.job?.report).toBeTruthy();
    s = reduceImport(s, { kind: 'progress', rows_read: 1, rows_applied: 0 });
    expect(s.rowsRead).toBe(0);
  });

  it('does not upload without a file nor twice, and locks the options once sent', () => {
    expect(reduceImport(initialFlow, { kind: 'upload' }).phase).toBe('choose');
    let s = run([{ kind: 'file', name: 'a.csv' }, { kind: 'upload' }]);
    expect(reduceImport(s, { kind: 'upload' })).toBe(s);
    s = reduceImport(s, { kind: 'option', name: 'visible', value: false });
    expect(s.visible).toBe(true);
  });

  it('refuses to apply with all-or-nothing and a rejected row, or a file error', () => {
    let s = run([{ kind: 'option', name: 'allOrNothing', value: true }, { kind: 'file', name: 'a.csv' }, { kind: 'upload' }]);
    s = reduceImport(s, { kind: 'job', job: job('planned', { report: report(1) }) });
    expect(canApply(s)).toBe(false);
    expect(reduceImport(s, { kind: 'apply' }).phase).toBe('planned');
    let t = run([{ kind: 'file', name: 'a.csv' }, { kind: 'upload' }]);
    t = reduceImport(t, { kind: 'job', job: job('planned', { report: report(1) }) });
    expect(canApply(t)).toBe(true);
    t = reduceImport(t, { kind: 'job', job: job('planned', { report: report(0, true) }) });
    expect(canApply(t)).toBe(false);
  });

  it('shows a failed job with its reason and lets the person start again', () => {
    let s = run([{ kind: 'file', name: 'a.csv' }, { kind: 'upload' }]);
    s = reduceImport(s, { kind: 'job', job: job('failed', { error: 'Le fichier est illisible.' }) });
    expect(s.phase).toBe('failed');
    expect(s.error).toBe('Le fichier est illisible.');
    s = reduceImport(s, { kind: 'file', name: 'b.xlsx' });
    expect(s.phase).toBe('choose');
    expect(s.error).toBe('');
    const r = reduceImport(s, { kind: 'reset' });
    expect(r.fileName).toBe('');
  });

  it('has no fraction while the total is unknown (indeterminate bar)', () => {
    const s = run([{ kind: 'file', name: 'a.csv' }, { kind: 'upload' }, { kind: 'job', job: job('planning') }]);
    expect(progressFraction(s)).toBeNull();
  });

  it('accepts XLSX, XLS and CSV names only', () => {
    expect(['a.XLSX', 'b.xls', 'c.csv'].every(acceptedFile)).toBe(true);
    expect(['a.ods', 'b.xlsx.exe', 'csv', 'x.pdf'].some(acceptedFile)).toBe(false);
  });
});
