// The creation and edit form of an account, derived from GET /api/reference
// alone: which fields a type shows, which are mandatory, which appear only
// under a condition, and which values a list field takes. No rule is copied
// into the UI: the server validates, the form only guides.
import type { Finding } from './api';
import type { AccountType, ListItem, Reference, ReferenceField, Requirement } from './types';
import { fold } from './text';
import { splitAddresses } from './addresses';

/** Headers the form never shows as plain inputs. */
export const TYPE_HEADER = 'Type de compte';
export const CONNECTIONS_HEADER = 'Compte(s) de connexion';
export const STRUCTURE_HEADER = 'Structure';

export interface FormField {
  header: string;
  key: string;
  requirement: Requirement;
  /** Shown now (a conditional field only when its condition holds or it has a value). */
  visible: boolean;
  /** Marked `*`. */
  mandatory: boolean;
  options: ListItem[] | null;
  condition: string | null;
  findings: Finding[];
}

export type Values = Record<string, string>;

function conditionHolds(f: ReferenceField, values: Values, ref: Reference): boolean {
  if (!f.condition_field) return true;
  // The condition names its field by key or by header.
  const trigger = ref.fields.find((x) => x.key === f.condition_field || x.header === f.condition_field);
  const v = (values[trigger ? trigger.header : f.condition_field] || '').trim();
  if (!v) return false;
  const wanted = f.condition_values || [];
  if (wanted.length === 0) return true;
  // The value is a code; the condition may name codes or labels.
  const list = trigger?.list ? ref.lists[trigger.list] || [] : [];
  const item = resolveListValue(list, v);
  const candidates = [v, item?.code || '', item?.label || ''].map(fold);
  return wanted.some((w) => candidates.includes(fold(w)));
}

/** The fields of `type`, in the file's order, with their state for `values`. */
export function formFields(
  ref: Reference,
  type: AccountType,
  values: Values,
  findings: Finding[] = [],
  opts: { connections?: boolean } = {},
): FormField[] {
  const out: FormField[] = [];
  for (const f of ref.fields) {
    if (f.header === TYPE_HEADER || f.header === STRUCTURE_HEADER) continue;
    // The edit page manages rights in its own panel; creation takes the list as text.
    if (f.header === CONNECTIONS_HEADER && !opts.connections) continue;
    const requirement = f.types[type] || 'none';
    if (requirement === 'none') continue;
    const conditional = !!f.condition_field;
    const holds = conditionHolds(f, values, ref);
    const hasValue = !!(values[f.header] || '').trim();
    const visible = !conditional || holds || hasValue;
    const mandatory =
      requirement === 'mandatory' || (conditional && holds && (requirement === 'conditional' || requirement === 'optional'));
    out.push({
      header: f.header,
      key: f.key,
      requirement,
      visible,
      mandatory,
      options: f.list ? ref.lists[f.list] || [] : null,
      condition: f.condition || null,
      findings: findings.filter((x) => fold(x.header) === fold(f.header)),
    });
  }
  return out;
}

/** Findings that name no field of the form (shown at the top). */
export function orphanFindings(fields: FormField[], findings: Finding[]): Finding[] {
  const shown = new Set(fields.filter((f) => f.visible).map((f) => fold(f.header)));
  return findings.filter((x) => !shown.has(fold(x.header)));
}

/**
 * The body's fields: the visible ones with their values (an emptied field is
 * sent as "" so that an edit clears it), nothing for hidden fields.
 */
export function payload(fields: FormField[], values: Values, only?: Set<string>): Values {
  const out: Values = {};
  for (const f of fields) {
    if (!f.visible) continue;
    if (only && !only.has(f.header)) continue;
    const v = (values[f.header] || '').trim();
    // The form separates addresses with commas, the account file with semicolons.
    out[f.header] = f.header === CONNECTIONS_HEADER ? splitAddresses(v).join(';') : v;
  }
  return out;
}

/** Mandatory visible fields left empty, to say so before asking the server. */
export function missingMandatory(fields: FormField[], values: Values): string[] {
  return fields.filter((f) => f.visible && f.mandatory && !(values[f.header] || '').trim()).map((f) => f.header);
}

/** Options matching a typed filter (code or label, without case or accents). */
export function filterOptions(options: ListItem[], typed: string, max = 100): ListItem[] {
  const q = fold(typed.trim());
  if (!q) return options.slice(0, max);
  const starts: ListItem[] = [];
  const contains: ListItem[] = [];
  for (const o of options) {
    const label = fold(o.label);
    const code = fold(o.code);
    if (code === q || label.startsWith(q) || code.startsWith(q)) starts.push(o);
    else if (label.includes(q)) contains.push(o);
  }
  return starts.concat(contains).slice(0, max);
}

/** How a list value is shown and typed: "code - label" (what the export writes). */
export function optionText(o: ListItem): string {
  return o.code && o.code !== o.label ? `${o.code} - ${o.label}` : o.label;
}

/** The list item a typed or stored value names: its code, its label, or "code - label". */
export function resolveListValue(list: ListItem[], text: string): ListItem | null {
  const t = fold(text.trim());
  if (!t) return null;
  return (
    list.find((i) => fold(i.code) === t) ||
    list.find((i) => fold(i.label) === t) ||
    list.find((i) => fold(optionText(i)) === t) ||
    null
  );
}

/** The form's text for a stored value (a list field stores its code). */
export function displayValue(field: { options: ListItem[] | null }, stored: string): string {
  if (!field.options || !stored) return stored || '';
  const item = resolveListValue(field.options, stored);
  return item ? optionText(item) : stored;
}
