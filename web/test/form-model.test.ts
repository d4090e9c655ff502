import { describe, expect, it } from 'vitest';
import {
  displayValue,
  filterOptions,
  formFields,
  missingMandatory,
  orphanFindings,
  payload,
  resolveListValue,
} from '../src/lib/form-model';
import type { Reference } from '../src/lib/types';

const all = (r: string) => ({ PER: r, INT: r, MED: r, ORG: r, APP: r }) as Reference['fields'][0]['types'];

// A reference shaped like GET /api/reference (a subset of the FIELDS.md columns).
const ref: Reference = {
  fields: [
    { key: 'type', header: 'Type de compte', types: all('mandatory'), list: 'type' },
    { key: 'address', header: 'Adresse mail', types: all('mandatory'), list: null },
    { key: 'nom', header: 'NOM', types: { PER: 'mandatory', INT: 'mandatory', MED: 'mandatory', ORG: 'optional', APP: 'optional' }, list: null },
    { key: 'rpps', header: 'RPPS', types: { PER: 'mandatory', INT: 'none', MED: 'none', ORG: 'none', APP: 'none' }, list: null },
    { key: 'departement', header: 'Département', types: all('mandatory'), list: 'departement' },
    { key: 'profession', header: 'Profession', types: { PER: 'mandatory', INT: 'mandatory', MED: 'mandatory', ORG: 'none', APP: 'none' }, list: 'profession' },
    {
      key: 'diplome', header: 'Diplôme', types: { PER: 'none', INT: 'conditional', MED: 'none', ORG: 'none', APP: 'none' }, list: null,
      condition: 'Obligatoire quand la profession est médico-sociale.', condition_field: 'Profession', condition_values: ['93', '94'],
    },
    {
      key: 'civilite', header: 'Civilité exercice', types: { PER: 'none', INT: 'conditional', MED: 'none', ORG: 'none', APP: 'none' }, list: 'civilite',
      condition: 'Obligatoire pour un médecin, un pharmacien ou un chirurgien-dentiste.', condition_field: 'Profession', condition_values: ['10', 'Pharmacien', '40'],
    },
    { key: 'apicrypt', header: 'Apicrypt adresse', types: { PER: 'optional', INT: 'optional', MED: 'optional', ORG: 'none', APP: 'none' }, list: null },
    {
      key: 'apicrypt_spe', header: 'Apicrypt spécialité', types: { PER: 'optional', INT: 'optional', MED: 'optional', ORG: 'none', APP: 'none' }, list: null,
      condition: 'Obligatoire quand « Apicrypt adresse » est remplie.', condition_field: 'Apicrypt adresse', condition_values: null,
    },
    { key: 'description', header: 'Description fonctionnelle', types: { PER: 'none', INT: 'none', MED: 'none', ORG: 'mandatory', APP: 'mandatory' }, list: null },
    { key: 'connections', header: 'Compte(s) de connexion', types: { PER: 'none', INT: 'none', MED: 'none', ORG: 'mandatory', APP: 'optional' }, list: null },
    { key: 'structure', header: 'Structure', types: all('optional'), list: null },
  ],
  lists: {
    type: [{ code: 'PER', label: 'PER' }],
    departement: [{ code: '31', label: 'Haute-Garonne' }, { code: '2A', label: 'Corse-du-Sud' }],
    profession: [
      { code: '10', label: 'Médecin' },
      { code: '21', label: 'Pharmacien' },
      { code: '93', label: 'Psychologue' },
      { code: '60', label: 'Infirmier' },
    ],
    civilite: [{ code: 'DR', label: 'Docteur' }],
  },
};

const headers = (fs: { header: string; visible: boolean }[]) => fs.filter((f) => f.visible).map((f) => f.header);

describe('form per type', () => {
  it('shows only the fields the type concerns, in the file order, without type, structure and connections', () => {
    expect(headers(formFields(ref, 'PER', {}))).toEqual(['Adresse mail', 'NOM', 'RPPS', 'Département', 'Profession', 'Apicrypt adresse']);
    expect(headers(formFields(ref, 'ORG', {}))).toEqual(['Adresse mail', 'NOM', 'Département', 'Description fonctionnelle']);
    expect(headers(formFields(ref, 'MED', {}))).not.toContain('RPPS');
  });

  it('marks mandatory fields only', () => {
    const f = formFields(ref, 'ORG', {});
    expect(f.find((x) => x.header === 'NOM')!.mandatory).toBe(false);
    expect(f.find((x) => x.header === 'Description fonctionnelle')!.mandatory).toBe(true);
  });

  it('shows Diplôme for an INT only when the profession is medico-social, and then mandatory', () => {
    const hidden = formFields(ref, 'INT', { Profession: '60' });
    expect(headers(hidden)).not.toContain('Diplôme');
    const shown = formFields(ref, 'INT', { Profession: '93 - Psychologue' });
    const d = shown.find((x) => x.header === 'Diplôme')!;
    expect(d.visible).toBe(true);
    expect(d.mandatory).toBe(true);
    expect(d.condition).toMatch(/médico-sociale/);
    expect(headers(formFields(ref, 'PER', { Profession: '93' }))).not.toContain('Diplôme');
  });

  it('matches a condition by code or by label, without case or accents', () => {
    for (const v of ['10', 'Médecin', 'medecin', '10 - Médecin', 'pharmacien', '21']) {
      expect(headers(formFields(ref, 'INT', { Profession: v }))).toContain('Civilité exercice');
    }
    expect(headers(formFields(ref, 'INT', { Profession: 'Infirmier' }))).not.toContain('Civilité exercice');
  });

  it('shows Apicrypt spécialité when Apicrypt adresse is filled, as mandatory', () => {
    expect(headers(formFields(ref, 'MED', {}))).not.toContain('Apicrypt spécialité');
    const f = formFields(ref, 'MED', { 'Apicrypt adresse': 'jdupont' }).find((x) => x.header === 'Apicrypt spécialité')!;
    expect(f.visible && f.mandatory).toBe(true);
  });

  it('keeps a conditional field visible when it holds a value (an edit never hides data)', () => {
    expect(headers(formFields(ref, 'INT', { Diplôme: 'DE psychologie', Profession: '60' }))).toContain('Diplôme');
  });

  it('gives list fields their options and attaches findings to their field', () => {
    const findings = [
      { header: 'département', severity: 'error' as const, code: 'list', message: 'Département inconnu.' },
      { header: 'Région', severity: 'error' as const, code: 'x', message: 'Région absente du formulaire.' },
    ];
    const f = formFields(ref, 'PER', {}, findings);
    const dep = f.find((x) => x.header === 'Département')!;
    expect(dep.options).toHaveLength(2);
    expect(dep.findings[0].message).toBe('Département inconnu.');
    expect(orphanFindings(f, findings).map((x) => x.header)).toEqual(['Région']);
  });

  it('sends visible fields only, trimmed, and only the changed ones on edit', () => {
    const values = { 'Adresse mail': ' a@x.fr ', NOM: 'Dupont', RPPS: '1', Diplôme: 'hidden for PER' };
    const f = formFields(ref, 'PER', values);
    const body = payload(f, values);
    expect(body['Adresse mail']).toBe('a@x.fr');
    expect(body).not.toHaveProperty('Diplôme');
    expect(body['Département']).toBe('');
    expect(payload(f, values, new Set(['NOM']))).toEqual({ NOM: 'Dupont' });
    expect(missingMandatory(f, values)).toEqual(['Département', 'Profession']);
  });
});

describe('list values', () => {
  const deps = ref.lists.departement;
  it('resolves a code, a label or "code - label"', () => {
    expect(resolveListValue(deps, '31')!.code).toBe('31');
    expect(resolveListValue(deps, 'haute-garonne')!.code).toBe('31');
    expect(resolveListValue(deps, '2a - corse-du-sud')!.code).toBe('2A');
    expect(resolveListValue(deps, 'Paris')).toBeNull();
  });
  it('shows a stored code as "code - label"', () => {
    expect(displayValue({ options: deps }, '31')).toBe('31 - Haute-Garonne');
    expect(displayValue({ options: deps }, 'inconnu')).toBe('inconnu');
    expect(displayValue({ options: null }, 'texte')).toBe('texte');
  });
  it('filters options as one types, prefix first', () => {
    expect(filterOptions(ref.lists.profession, 'ph').map((o) => o.code)).toEqual(['21']);
    expect(filterOptions(ref.lists.profession, 'MEDE').map((o) => o.code)).toEqual(['10']);
    expect(filterOptions(ref.lists.profession, 'ie').map((o) => o.code)).toEqual(['21', '60']);
    expect(filterOptions(ref.lists.profession, '', 2)).toHaveLength(2);
  });
});

describe('connection accounts in the creation form', () => {
  it('shows « Compte(s) de connexion » for an ORG only on creation, and sends it as the file does', () => {
    expect(headers(formFields(ref, 'ORG', {}))).not.toContain('Compte(s) de connexion');
    const f = formFields(ref, 'ORG', {}, [], { connections: true });
    expect(headers(f)).toContain('Compte(s) de connexion');
    expect(headers(formFields(ref, 'PER', {}, [], { connections: true }))).not.toContain('Compte(s) de connexion');
    const body = payload(f, { 'Compte(s) de connexion': 'A@x.fr, b@x.fr ,a@x.fr' });
    expect(body['Compte(s) de connexion']).toBe('a@x.fr;b@x.fr');
  });
});

describe('conditions named by key', () => {
  it('reads the trigger field by its key, as GET /api/reference names it', () => {
    const byKey: Reference = {
      ...ref,
      fields: ref.fields.map((f) => (f.condition_field === 'Profession' ? { ...f, condition_field: 'profession' } : f)),
    };
    expect(headers(formFields(byKey, 'INT', { Profession: 'Médecin' }))).toContain('Civilité exercice');
    expect(headers(formFields(byKey, 'INT', { Profession: 'Infirmier' }))).not.toContain('Civilité exercice');
  });
});
