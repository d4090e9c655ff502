// Shapes of the API's answers (docs/api.md).
import type { Finding } from './api';

export type AccountType = 'PER' | 'INT' | 'MED' | 'ORG' | 'APP';
export const ACCOUNT_TYPES: AccountType[] = ['PER', 'INT', 'MED', 'ORG', 'APP'];
export const NOMINATIVE: AccountType[] = ['PER', 'INT', 'MED'];

export interface Person {
  id: number;
  address: string;
  type: AccountType;
  nom: string;
  prenom: string;
}

export interface Mailbox {
  id: number;
  address: string;
  type: AccountType;
  description: string;
  current: boolean;
}

export interface Me {
  person: Person;
  mailboxes: Mailbox[];
  current_mailbox_id: number;
  default_mailbox_id?: number | null;
  administers?: { id: number; name: string }[];
  operator?: boolean;
  notice?: string;
  /** The server shows remote images on request (remote_images = on). */
  remote_images?: boolean;
}

export interface SignInAnswer {
  person: Person;
  mailbox: Mailbox;
  csrf_token: string;
}

export interface Structure {
  id: number;
  name: string;
  finess?: string | null;
  siren?: string | null;
  siret?: string | null;
  domain?: string | null;
}

export type Requirement = 'mandatory' | 'conditional' | 'recommended' | 'optional' | 'none';

export interface ReferenceField {
  key: string;
  header: string;
  types: Partial<Record<AccountType, Requirement>>;
  list: string | null;
  condition?: string | null;
  condition_field?: string | null;
  condition_values?: string[] | null;
}

export interface ListItem {
  code: string;
  label: string;
}

export interface Reference {
  fields: ReferenceField[];
  lists: Record<string, ListItem[]>;
}

export type AccountStatus = 'pending' | 'active' | 'disabled';

export interface AccountRow {
  id: number;
  type: AccountType;
  address: string;
  nom: string;
  prenom: string;
  description: string;
  status: AccountStatus;
  disabled_reason: 'admin' | 'expired' | null;
  visible: boolean;
  last_sign_in: string | null;
  expires: string | null;
}

export interface AccountPage {
  total: number;
  items: AccountRow[];
}

export interface Account {
  id: number;
  structure_id: number;
  type: AccountType;
  status: AccountStatus;
  disabled_reason: 'admin' | 'expired' | null;
  pending_since: string | null;
  created_at: string | null;
  updated_at: string | null;
  expires: string | null;
  last_sign_in: string | null;
  visible?: boolean;
  fields: Record<string, string>;
  findings?: Finding[];
}

export interface ConnectionPerson {
  id: number;
  address: string;
  nom: string;
  prenom: string;
  type: AccountType;
  status: AccountStatus;
}

export interface ConnectionMailbox {
  id: number;
  address: string;
  type: AccountType;
  description: string;
  default: boolean;
}

export interface Connections {
  persons?: ConnectionPerson[];
  mailboxes?: ConnectionMailbox[];
}

export interface GrantAnswer {
  granted: string[];
  refused: { address: string; message: string }[];
}

export interface Suggestion {
  id: number;
  address: string;
  nom: string;
  prenom: string;
  type: AccountType;
}

export type ImportState = 'planning' | 'planned' | 'applying' | 'applied' | 'failed';

export interface ImportRow {
  row: number;
  address: string;
  action: string;
  findings: Finding[];
}

export interface ImportReport {
  counts: Record<string, number>;
  rows: ImportRow[];
  file_findings: Finding[];
}

export interface ImportJob {
  id: string;
  state: ImportState;
  file_name?: string;
  dry_run?: boolean;
  structure_id?: number;
  options?: { notify: boolean; visible: boolean; all_or_nothing: boolean };
  progress?: { rows_read: number; rows_applied: number; total?: number };
  report?: ImportReport | null;
  error?: string | null;
}

export interface AuditItem {
  seq: number;
  time: string;
  actor: string;
  person: string;
  mailbox: string;
  action: string;
  object: string;
  details: unknown;
  ip: string;
  user_agent: string;
}

export interface AuditPage {
  items: AuditItem[];
  chain: { verified: boolean; head: string; entries: number };
}

export interface TokenInfo {
  purpose: 'activation' | 'reset';
  address: string;
}
