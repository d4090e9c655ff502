// French words for the API's codes.
import type { AccountRow, AccountStatus, AccountType } from './types';

export const TYPE_INFO: Record<AccountType, { label: string; explanation: string; example: string }> = {
  PER: {
    label: 'PER',
    explanation: 'utilisateur professionnel de santé, avec n°RPPS/ADELI',
    example: 'médecin dans un cabinet ou infirmier(e)s',
  },
  INT: {
    label: 'INT',
    explanation: 'utilisateur professionnel de santé, sans n°RPPS/ADELI',
    example: 'médecin interne ou étranger',
  },
  MED: {
    label: 'MED',
    explanation: 'utilisateur non professionnel de santé, sans n°RPPS/ADELI',
    example: 'secrétaire médical(e)',
  },
  ORG: {
    label: 'ORG',
    explanation: 'boîte organisationnelle, partagée par une équipe qui s’y connecte avec ses comptes nominatifs',
    example: 'secrétariat d’un service',
  },
  APP: {
    label: 'APP',
    explanation: 'boîte applicative, utilisée par un logiciel',
    example: 'résultats d’un laboratoire',
  },
};

export function statusLabel(status: AccountStatus, reason?: string | null): string {
  if (status === 'pending') return 'En attente d’activation';
  if (status === 'active') return 'Actif';
  if (reason === 'expired') return 'Désactivé (périmé)';
  return 'Désactivé';
}

export function displayName(a: Pick<AccountRow, 'nom' | 'prenom'> & { description?: string }): string {
  const name = [a.nom, a.prenom].filter(Boolean).join(' ');
  return name || a.description || '';
}

const dateTime = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short' });

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${m[3]}/${m[2]}/${m[1]}`;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : dateOnly.format(d);
}

export const COUNT_LABELS: Record<string, string> = {
  created: 'Comptes créés',
  updated: 'Comptes modifiés',
  unchanged: 'Comptes inchangés',
  rejected: 'Lignes rejetées',
  rights_granted: 'Droits de connexion accordés',
  rights_revoked: 'Droits de connexion retirés',
  warnings: 'Avertissements',
};

export const ACTION_LABELS: Record<string, string> = {
  create: 'Création',
  created: 'Création',
  update: 'Modification',
  updated: 'Modification',
  unchanged: 'Inchangé',
  reject: 'Rejet',
  rejected: 'Rejet',
};
