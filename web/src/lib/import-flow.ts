// The import screen's state: choose a file and the two boxes, upload (the dry
// run starts at once), read the plan, apply it, read the report. The server's
// job and its event stream drive the phases; this reducer keeps them in order
// so that a late event never moves the screen backwards.
import type { ImportJob, ImportState } from './types';

export type Phase = 'choose' | 'uploading' | ImportState;

export interface ImportFlow {
  phase: Phase;
  fileName: string;
  notify: boolean;
  visible: boolean;
  allOrNothing: boolean;
  job: ImportJob | null;
  rowsRead: number;
  rowsApplied: number;
  total: number | null;
  error: string;
}

export type ImportEvent =
  | { kind: 'file'; name: string }
  | { kind: 'option'; name: 'notify' | 'visible' | 'allOrNothing'; value: boolean }
  | { kind: 'upload' }
  | { kind: 'job'; job: ImportJob }
  | { kind: 'progress'; rows_read: number; rows_applied: number }
  | { kind: 'state'; state: ImportState }
  | { kind: 'apply' }
  | { kind: 'error'; message: string }
  | { kind: 'reset' };

export const initialFlow: ImportFlow = {
  phase: 'choose',
  fileName: '',
  notify: true,
  visible: true,
  allOrNothing: false,
  job: null,
  rowsRead: 0,
  rowsApplied: 0,
  total: null,
  error: '',
};

const ORDER: Record<Phase, number> = {
  choose: 0,
  uploading: 1,
  planning: 2,
  planned: 3,
  applying: 4,
  applied: 5,
  failed: 6,
};

function advance(s: ImportFlow, phase: Phase): Phase {
  return ORDER[phase] >= ORDER[s.phase] ? phase : s.phase;
}

export function reduceImport(s: ImportFlow, e: ImportEvent): ImportFlow {
  switch (e.kind) {
    case 'file':
      if (s.phase !== 'choose' && s.phase !== 'failed') return s;
      return { ...initialFlow, notify: s.notify, visible: s.visible, allOrNothing: s.allOrNothing, fileName: e.name };
    case 'option':
      if (s.phase !== 'choose' && s.phase !== 'failed') return s;
      return { ...s, [e.name]: e.value };
    case 'upload':
      if (!s.fileName || (s.phase !== 'choose' && s.phase !== 'failed')) return s;
      return { ...s, phase: 'uploading', error: '', job: null, rowsRead: 0, rowsApplied: 0, total: null };
    case 'job': {
      const phase = advance(s, e.job.state);
      const p = e.job.progress;
      return {
        ...s,
        phase,
        job: phase === e.job.state ? e.job : s.job,
        rowsRead: p ? Math.max(p.rows_read, phase === 'applying' ? 0 : s.rowsRead) : s.rowsRead,
        rowsApplied: p ? p.rows_applied : s.rowsApplied,
        total: p?.total ?? s.total,
        error: e.job.state === 'failed' ? e.job.error || 'L’import a échoué.' : s.error,
      };
    }
    case 'progress':
      if (s.phase !== 'planning' && s.phase !== 'applying') return s;
      return { ...s, rowsRead: e.rows_read, rowsApplied: e.rows_applied };
    case 'state':
      return { ...s, phase: advance(s, e.state) };
    case 'apply':
      if (s.phase !== 'planned' || !canApply(s)) return s;
      return { ...s, phase: 'applying', rowsApplied: 0 };
    case 'error':
      return { ...s, phase: 'failed', error: e.message };
    case 'reset':
      return { ...initialFlow, notify: s.notify, visible: s.visible, allOrNothing: s.allOrNothing };
  }
}

/** The plan can be applied: planned, and not refused as a whole. */
export function canApply(s: ImportFlow): boolean {
  if (s.phase !== 'planned' || !s.job?.report) return false;
  const rejected = s.job.report.counts.rejected || 0;
  const fileErrors = s.job.report.file_findings.some((f) => f.severity === 'error');
  if (fileErrors) return false;
  return !(s.allOrNothing && rejected > 0);
}

/** Progress as a fraction 0..1 for the bar, or null when unknown (indeterminate). */
export function progressFraction(s: ImportFlow): number | null {
  if (!s.total) return null;
  const done = s.phase === 'applying' ? s.rowsApplied : s.rowsRead;
  return Math.min(1, done / s.total);
}

export function isRunning(s: ImportFlow): boolean {
  return s.phase === 'uploading' || s.phase === 'planning' || s.phase === 'applying';
}

/** The files the import accepts (the server reads the content to be sure). */
export function acceptedFile(name: string): boolean {
  return /\.(xlsx|xls|csv)$/i.test(name);
}
