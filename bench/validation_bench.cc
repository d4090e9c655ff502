// Throughput of ValidateAccount on full rows (all 36 columns, the five account
// types, realistic values) as the import sees them. Target: at least 300,000 rows/s
// on one core in a release build, so that validating a 100,000-row file never
// dominates an import. Reports rows/s as items_per_second, and the machine.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/machine.h"
#include "directory/validation.h"

namespace caduce::directory {
namespace {

const ReferenceData& Ref() {
  static const ReferenceData* ref = [] {
    auto r = ReferenceData::Load(ReferenceData::DefaultDir());
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    return new ReferenceData(std::move(r).value());
  }();
  return *ref;
}

void Set(AccountDraft& d, Field f, std::string v) { d.values[FieldIndex(f)] = std::move(v); }

// One row of each type, written the way people fill the file: labels or
// "code - label" in list columns, spaced phone numbers, mixed case. `n` varies the
// names so that the rows are not identical.
std::vector<AccountDraft> Rows(int n) {
  const std::string i = std::to_string(n);
  std::vector<AccountDraft> rows;

  AccountDraft per;
  Set(per, Field::kType, "PER");
  Set(per, Field::kAddress, "Marie.Dupont" + i + "@chu-toulouse.fr");
  Set(per, Field::kNom, "Dupont-Lefèvre");
  Set(per, Field::kPrenom, "Marie-Hélène");
  Set(per, Field::kRpps, "10102727012");
  Set(per, Field::kAdeli, "311234561");
  Set(per, Field::kRaisonSociale, "CHU de Toulouse");
  Set(per, Field::kService, "Cardiologie");
  Set(per, Field::kAdresse1, "2 rue Viguerie");
  Set(per, Field::kAdresse2, "Bâtiment B, 3e étage");
  Set(per, Field::kCp, "31300");
  Set(per, Field::kVille, "Toulouse");
  Set(per, Field::kDepartement, "31 - Haute-Garonne");
  Set(per, Field::kRegion, "76 - Occitanie");
  Set(per, Field::kTelephone1, "05 61 77 22 33");
  Set(per, Field::kTelephone2, "+33 6 12 34 56 78");
  Set(per, Field::kProfession, "10 - Médecin");
  Set(per, Field::kSpecialite, "SM04 - Cardiologie et Maladies vasculaires (SM)");
  Set(per, Field::kActiviteLiberale, "non");
  Set(per, Field::kMssAddress, "marie.dupont" + i);
  Set(per, Field::kApicryptAddress, "m.dupont" + i);
  Set(per, Field::kApicryptSpecialite, "Cardiologie");
  Set(per, Field::kDatePeremption, "31/12/2027");
  Set(per, Field::kStructure, "CHU de Toulouse");
  rows.push_back(per);

  AccountDraft in;
  Set(in, Field::kType, "INT");
  Set(in, Field::kAddress, "luc.martin" + i + "@chu-toulouse.fr");
  Set(in, Field::kNom, "Martin");
  Set(in, Field::kPrenom, "Luc");
  Set(in, Field::kRaisonSociale, "CHU de Toulouse");
  Set(in, Field::kService, "Pharmacie à usage intérieur");
  Set(in, Field::kAdresse1, "2 rue Viguerie");
  Set(in, Field::kCp, "31300");
  Set(in, Field::kVille, "TOULOUSE");
  Set(in, Field::kDepartement, "Haute-Garonne");
  Set(in, Field::kRegion, "Occitanie");
  Set(in, Field::kTelephone1, "05.61.77.22.34");
  Set(in, Field::kProfession, "Pharmacien");
  Set(in, Field::kSpecialite, "SP02");
  Set(in, Field::kActiviteLiberale, "NON");
  Set(in, Field::kTypeIdStructure, "1 - FINESS");
  Set(in, Field::kIdStructure, "310780382");
  Set(in, Field::kCiviliteExercice, "Docteur");
  Set(in, Field::kMssAddress, "luc.martin" + i);
  Set(in, Field::kDatePeremption, "2027-06-30");
  rows.push_back(in);

  AccountDraft med;
  Set(med, Field::kType, "MED");
  Set(med, Field::kAddress, "julie.bernard" + i + "@cabinet-pasteur.fr");
  Set(med, Field::kNom, "Bernard");
  Set(med, Field::kPrenom, "Julie");
  Set(med, Field::kRaisonSociale, "Cabinet médical Pasteur");
  Set(med, Field::kAdresse1, "12 avenue Pasteur");
  Set(med, Field::kCp, "33000");
  Set(med, Field::kVille, "Bordeaux");
  Set(med, Field::kDepartement, "33");
  Set(med, Field::kRegion, "75");
  Set(med, Field::kTelephone1, "0556123456");
  Set(med, Field::kProfession, "C01 - Secrétaire médical");
  Set(med, Field::kSpecialite, "");
  Set(med, Field::kActiviteLiberale, "OUI");
  Set(med, Field::kApicryptAddress, "secretariat.pasteur" + i);
  Set(med, Field::kApicryptSpecialite, "Médecine générale");
  rows.push_back(med);

  AccountDraft org;
  Set(org, Field::kType, "ORG");
  Set(org, Field::kAddress, "secretariat.cardio" + i + "@chu-toulouse.fr");
  Set(org, Field::kRaisonSociale, "CHU de Toulouse");
  Set(org, Field::kService, "Cardiologie");
  Set(org, Field::kAdresse1, "2 rue Viguerie");
  Set(org, Field::kCp, "31300");
  Set(org, Field::kVille, "Toulouse");
  Set(org, Field::kDepartement, "31");
  Set(org, Field::kRegion, "76");
  Set(org, Field::kTelephone1, "05 61 77 22 00");
  Set(org, Field::kTypeIdStructure, "3 - SIRET");
  Set(org, Field::kIdStructure, "73282932000074");
  Set(org, Field::kAdresseRetour, "ne-pas-repondre@chu-toulouse.fr");
  Set(org, Field::kNomResp, "Roux");
  Set(org, Field::kPrenomResp, "Paul");
  Set(org, Field::kProfessionResp, "Cadre de santé");
  Set(org, Field::kIdentifiantResp, "poste 4521");
  Set(org, Field::kDescription, "Secrétariat de cardiologie");
  Set(org, Field::kMssAddress, "secretariat.cardio" + i);
  Set(org, Field::kDatePeremption, "28-12-31");
  Set(org, Field::kAlias, "cardio@chu-toulouse.fr;cardiologie@chu-toulouse.fr");
  Set(org, Field::kConnectionAccounts,
      "marie.dupont" + i + "@chu-toulouse.fr; luc.martin" + i + "@chu-toulouse.fr");
  Set(org, Field::kStructure, "CHU de Toulouse");
  rows.push_back(org);

  AccountDraft app;
  Set(app, Field::kType, "APP");
  Set(app, Field::kAddress, "resultats" + i + "@labo-garonne.fr");
  Set(app, Field::kRaisonSociale, "Laboratoire Garonne");
  Set(app, Field::kAdresse1, "5 allée Jean Jaurès");
  Set(app, Field::kCp, "31000");
  Set(app, Field::kVille, "Toulouse");
  Set(app, Field::kDepartement, "31");
  Set(app, Field::kRegion, "Occitanie");
  Set(app, Field::kTypeIdStructure, "SIREN");
  Set(app, Field::kIdStructure, "552 100 554");
  Set(app, Field::kAdresseRetour, "retours@labo-garonne.fr");
  Set(app, Field::kNomResp, "Durand");
  Set(app, Field::kPrenomResp, "Anne");
  Set(app, Field::kProfessionResp, "Biologiste");
  Set(app, Field::kIdentifiantResp, "informatique@labo-garonne.fr");
  Set(app, Field::kDescription, "Résultats du laboratoire");
  Set(app, Field::kMssAddress, "resultats" + i);
  rows.push_back(app);
  return rows;
}

std::vector<AccountDraft> Corpus() {
  std::vector<AccountDraft> all;
  for (int n = 0; n < 200; ++n) {
    for (AccountDraft& d : Rows(n)) all.push_back(std::move(d));
  }
  return all;
}

void BM_ValidateImportRows(benchmark::State& state) {
  const ReferenceData& ref = Ref();
  const std::vector<AccountDraft> rows = Corpus();
  // A row that does not validate would measure the error path: refuse to run.
  for (const AccountDraft& d : rows) {
    ValidationResult r = ValidateAccount(d, ref, Channel::kImport);
    if (r.HasErrors()) {
      for (const Finding& f : r.findings) std::fprintf(stderr, "%s\n", f.message.c_str());
      state.SkipWithError("a benchmark row has errors");
      return;
    }
  }
  size_t i = 0;
  for (auto _ : state) {
    ValidationResult r = ValidateAccount(rows[i], ref, Channel::kImport);
    benchmark::DoNotOptimize(r);
    if (++i == rows.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("rows");
}
BENCHMARK(BM_ValidateImportRows);

// The same rows after a round trip: codes instead of labels (what the form and the
// API mostly send).
void BM_ValidateStoredRows(benchmark::State& state) {
  const ReferenceData& ref = Ref();
  std::vector<AccountDraft> rows = Corpus();
  for (AccountDraft& d : rows) d.values = ValidateAccount(d, ref, Channel::kImport).normalized;
  size_t i = 0;
  for (auto _ : state) {
    ValidationResult r = ValidateAccount(rows[i], ref, Channel::kForm);
    benchmark::DoNotOptimize(r);
    if (++i == rows.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("rows");
}
BENCHMARK(BM_ValidateStoredRows);

}  // namespace
}  // namespace caduce::directory

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The context is printed before the first benchmark runs.
  caduce::bench::DescribeMachine();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
