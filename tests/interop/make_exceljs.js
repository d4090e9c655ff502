// Writes an account workbook the way a Node.js tool of an administrator would, with
// exceljs: the columns in another order than the export's, numbers where text was
// expected (CP, phone, RPPS, SIRET, Département), date cells for "Date de
// péremption", booleans for "Activité libérale", rich text, and a formula with its
// cached result in NOM. interop_test.cc imports the file and checks what is stored.
//
//   node make_exceljs.js <output.xlsx>
'use strict';

const ExcelJS = require('exceljs');

async function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node make_exceljs.js <output.xlsx>');
    process.exit(2);
  }
  const wb = new ExcelJS.Workbook();
  wb.creator = 'exceljs';
  const ws = wb.addWorksheet('Comptes');
  ws.addRow([
    'Prénom', 'NOM', 'Adresse mail', 'CP', 'Type de compte', 'VILLE', 'Département', 'Région',
    'Téléphone (1)', 'Profession', 'Activité libérale', 'Date de péremption', 'RPPS',
    'Raison Sociale', 'Adresse (1)', 'Type identifiant structure resp',
    'Identifiant structure resp', 'Nom resp', 'Prénom resp', 'Description fonctionnelle',
    'Compte(s) de connexion',
  ]);
  // A medical secretary: every oddity at once.
  ws.addRow([
    {richText: [{text: 'Ma', font: {bold: true}}, {text: 'rie-', font: {italic: true}},
                {text: 'Hélène', font: {color: {argb: 'FFFF0000'}}}]},
    {formula: 'UPPER("dupont")', result: 'DUPONT'},
    'marie.dupont@chu.fr',
    1000,
    'MED',
    'Bourg-en-Bresse',
    1,
    'Auvergne-Rhône-Alpes',
    612345678,
    'Secrétaire médical',
    false,
    new Date(Date.UTC(2031, 2, 31)),
    null,
    'Hôpital Fleyriat',
    '900 route de Paris',
  ]);
  // A physician: RPPS as a number, a boolean true, a formula on a number.
  ws.addRow([
    'Éloïse',
    {formula: 'PROPER("durand")', result: 'Durand'},
    'eloise.durand@chu.fr',
    {formula: '31000+0', result: 31000},
    'PER',
    'Toulouse',
    31,
    'Occitanie',
    561000000,
    'Médecin',
    true,
    new Date(Date.UTC(2030, 0, 15)),
    10001234565,
    'CHU de Toulouse',
    '1 rue A',
  ]);
  // A shared mailbox naming both persons, its SIRET and identifier type as numbers,
  // its connection list as rich text.
  ws.addRow([
    null,
    null,
    'secretariat@chu.fr',
    31000,
    'ORG',
    'Toulouse',
    31,
    'Occitanie',
    null,
    null,
    null,
    null,
    null,
    'CHU de Toulouse',
    '1 rue A',
    3,
    73282932000074,
    'Martin',
    'Paul',
    {richText: [{text: 'Secrétariat ', font: {bold: true}}, {text: 'de cardiologie'}]},
    {richText: [{text: 'marie.dupont@chu.fr;'}, {text: 'eloise.durand@chu.fr', font: {bold: true}}]},
  ]);
  ws.getColumn(12).numFmt = 'dd/mm/yyyy';
  await wb.xlsx.writeFile(out);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
