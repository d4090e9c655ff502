"""Writes a large account workbook with openpyxl for interop_test.cc: shared mailboxes
(ORG and APP) first, then the persons they name (PER, INT, MED), each group in a
random (seeded) order, with numbers where text was expected in some rows. Also
writes the expected connection rights, one mailbox a line: "mailbox<TAB>p1;p2;...".

    /usr/bin/python3 make_accounts_openpyxl.py <out.xlsx> <expected.tsv> <rows>
"""
import datetime
import random
import sys

import openpyxl

HEADERS = [
    "Type de compte", "Adresse mail", "NOM", "Prénom", "RPPS", "Raison Sociale",
    "Adresse (1)", "CP", "VILLE", "Département", "Région", "Téléphone (1)", "Profession",
    "Spécialité", "Diplôme", "Activité libérale", "Type identifiant structure resp",
    "Identifiant structure resp", "Nom resp", "Prénom resp", "Description fonctionnelle",
    "Date de péremption", "Compte(s) de connexion",
]
PERSONS_PER_ORG = 4


def rpps(n):
    """An RPPS number: '1', ten digits, with a valid Luhn key as the last one."""
    body = "1%09d" % n
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def main():
    out, expected_path, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(20240611)
    n_shared = rows // 5
    n_persons = rows - n_shared
    persons, shared = [], []
    for i in range(n_persons):
        kind = ("MED", "INT", "PER")[i % 3]
        address = "p%04d.%s@chu-toulouse.fr" % (i, kind.lower())
        numeric = i % 2 == 0
        row = {
            "Type de compte": kind, "Adresse mail": address, "NOM": "Lefèvre-%d" % i,
            "Prénom": "Éloïse", "Raison Sociale": "CHU de Toulouse – Purpan",
            "Adresse (1)": "Place du Docteur Baylac", "CP": 31300 if numeric else "31300",
            "VILLE": "Toulouse", "Département": 31 if numeric else "31 - Haute-Garonne",
            "Région": "Occitanie", "Activité libérale": "NON",
            "Téléphone (1)": 561000000 + i if numeric else "05 61 %02d %02d 00" % (i // 100 % 100, i % 100),
        }
        if kind == "MED":
            row["Profession"] = "Secrétaire médical"
        elif kind == "INT":
            row.update({"Profession": "60", "Spécialité": "SI05",
                        "Type identifiant structure resp": 1 if numeric else "1",
                        "Identifiant structure resp": 310780382 if numeric else "310780382"})
        else:
            row.update({"Profession": "Médecin", "Spécialité": "SM04",
                        "RPPS": int(rpps(i)) if numeric else rpps(i),
                        "Activité libérale": "OUI",
                        "Date de péremption": datetime.date(2031, 1 + i % 12, 1)})
        persons.append(row)
    addresses = [p["Adresse mail"] for p in persons]
    expected = []
    for i in range(n_shared):
        kind = "ORG" if i % 4 else "APP"
        address = "boite%04d.%s@chu-toulouse.fr" % (i, kind.lower())
        named = sorted(rng.sample(addresses, PERSONS_PER_ORG if kind == "ORG" else 1))
        shared.append({
            "Type de compte": kind, "Adresse mail": address, "Raison Sociale": "CHU de Toulouse",
            "Adresse (1)": "1 avenue du Professeur Jean Poulhès", "CP": "31400",
            "VILLE": "Toulouse", "Département": "31", "Région": "76",
            "Type identifiant structure resp": "3", "Identifiant structure resp": "73282932000074",
            "Nom resp": "Martin", "Prénom resp": "Anaïs",
            "Description fonctionnelle": "Secrétariat n° %d" % i,
            "Compte(s) de connexion": ";".join(named),
        })
        expected.append((address, named))
    rng.shuffle(shared)
    rng.shuffle(persons)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Comptes"
    ws.append(HEADERS)
    for row in shared + persons:
        ws.append([row.get(h) for h in HEADERS])
    wb.save(out)
    with open(expected_path, "w", encoding="utf-8") as f:
        for address, named in expected:
            f.write("%s\t%s\n" % (address, ";".join(named)))


if __name__ == "__main__":
    main()
