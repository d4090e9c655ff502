// Demonstration data for `caduce init --demo`.
#include "cli/demo.h"

#include <initializer_list>
#include <utility>

#include <fmt/format.h>

#include "auth/password_policy.h"
#include "auth/sign_in.h"
#include "cli/runner.h"
#include "store_sqlite/auth_repo.h"

namespace caduce::cli {
namespace {

using directory::Account;
using directory::AccountDraft;
using directory::Field;

AccountDraft Draft(std::initializer_list<std::pair<Field, const char*>> values) {
  AccountDraft d;
  for (const auto& [f, v] : values) d.values[directory::FieldIndex(f)] = v;
  return d;
}

// The address block every demo account shares.
constexpr std::pair<Field, const char*> kCp{Field::kCp, "31059"};
constexpr std::pair<Field, const char*> kVille{Field::kVille, "Toulouse"};
constexpr std::pair<Field, const char*> kDep{Field::kDepartement, "31"};
constexpr std::pair<Field, const char*> kReg{Field::kRegion, "Occitanie"};
constexpr std::pair<Field, const char*> kRs{Field::kRaisonSociale, "CHU de Démonstration"};
constexpr std::pair<Field, const char*> kAdr{Field::kAdresse1, "1 place du Docteur Baylac"};

}  // namespace

Result<bool> CreateDemoData(Context& ctx) {
  directory::DirectoryService& dir = ctx.directory();
  const directory::Actor& op = ctx.actor();
  CADUCE_TRY(std::vector<directory::Structure> existing, dir.ListStructures(op));
  if (!existing.empty()) return false;

  std::vector<directory::Finding> findings;
  directory::Structure s;
  s.name = "CHU de Démonstration";
  s.id_type = "3";
  s.id_value = "31000123500012";
  s.mss_domain = "chu-demo.mssante.fr";
  CADUCE_TRY(s, dir.CreateStructure(op, s, &findings));

  directory::CreateOptions visible;
  visible.visible_in_directory = true;
  auto create = [&](AccountDraft d) -> Result<Account> {
    Result<Account> a = dir.CreateAccount(op, s.id, d, visible, &findings);
    if (!a.ok()) {
      std::string detail;
      for (const auto& f : findings) detail += " [" + std::string(directory::Spec(f.field).header) + "] " + f.message;
      return Status(a.status().code(), a.status().message() + detail);
    }
    return a;
  };

  CADUCE_TRY(Account admin, create(Draft({{Field::kType, "MED"},
                                          {Field::kAddress, "claire.petit@chu-demo.fr"},
                                          {Field::kNom, "Petit"},
                                          {Field::kPrenom, "Claire"},
                                          {Field::kProfession, "Personnel administratif"},
                                          {Field::kActiviteLiberale, "NON"},
                                          kRs, kAdr, kCp, kVille, kDep, kReg})));
  CADUCE_TRY(Account doctor, create(Draft({{Field::kType, "PER"},
                                           {Field::kAddress, "jean.dupont@chu-demo.fr"},
                                           {Field::kNom, "Dupont"},
                                           {Field::kPrenom, "Jean"},
                                           {Field::kRpps, "10001234565"},
                                           {Field::kProfession, "Médecin"},
                                           {Field::kSpecialite, "SM04"},
                                           {Field::kActiviteLiberale, "NON"},
                                           {Field::kTelephone1, "05 61 00 00 01"},
                                           kRs, kAdr, kCp, kVille, kDep, kReg})));
  CADUCE_TRY(Account secretary, create(Draft({{Field::kType, "MED"},
                                              {Field::kAddress, "sophie.martin@chu-demo.fr"},
                                              {Field::kNom, "Martin"},
                                              {Field::kPrenom, "Sophie"},
                                              {Field::kProfession, "Secrétaire médical"},
                                              {Field::kActiviteLiberale, "NON"},
                                              {Field::kService, "Cardiologie"},
                                              kRs, kAdr, kCp, kVille, kDep, kReg})));
  CADUCE_TRY(Account intern, create(Draft({{Field::kType, "INT"},
                                           {Field::kAddress, "lucas.bernard@chu-demo.fr"},
                                           {Field::kNom, "Bernard"},
                                           {Field::kPrenom, "Lucas"},
                                           {Field::kProfession, "Médecin"},
                                           {Field::kCiviliteExercice, "DR"},
                                           {Field::kActiviteLiberale, "NON"},
                                           {Field::kTypeIdStructure, "3"},
                                           {Field::kIdStructure, "31000123500012"},
                                           kRs, kAdr, kCp, kVille, kDep, kReg})));
  CADUCE_TRY(Account org,
             create(Draft({{Field::kType, "ORG"},
                           {Field::kAddress, "secretariat.cardiologie@chu-demo.fr"},
                           {Field::kDescription, "Secrétariat de cardiologie"},
                           {Field::kNomResp, "Dupont"},
                           {Field::kPrenomResp, "Jean"},
                           {Field::kProfessionResp, "Chef de service"},
                           {Field::kIdentifiantResp, "Poste 4512"},
                           {Field::kTypeIdStructure, "3"},
                           {Field::kIdStructure, "31000123500012"},
                           {Field::kConnectionAccounts,
                            "sophie.martin@chu-demo.fr;jean.dupont@chu-demo.fr"},
                           kRs, kAdr, kCp, kVille, kDep, kReg})));
  CADUCE_TRY(Account app, create(Draft({{Field::kType, "APP"},
                                        {Field::kAddress, "laboratoire@chu-demo.fr"},
                                        {Field::kDescription, "Résultats du laboratoire"},
                                        {Field::kNomResp, "Bernard"},
                                        {Field::kPrenomResp, "Lucas"},
                                        {Field::kTypeIdStructure, "3"},
                                        {Field::kIdStructure, "31000123500012"},
                                        kRs, kAdr, kCp, kVille, kDep, kReg})));
  (void)app;
  CADUCE_RETURN_IF_ERROR(dir.AddAdministrator(op, s.id, admin.address()));
  CADUCE_RETURN_IF_ERROR(dir.SetDefaultMailbox(op, secretary.id, org.id));

  // Passwords, set the way a person sets one: an activation link, then the password.
  std::string data_dir = ctx.options().data_dir.empty() ? directory::ReferenceData::DefaultDir()
                                                        : ctx.options().data_dir;
  CADUCE_TRY(auth::PasswordPolicy policy,
             auth::PasswordPolicy::WithCommonPasswords(data_dir + "/common-passwords.txt"));
  store_sqlite::SqliteAuthRepository auth_repo;
  auth::AuthOptions auth_options;
  auth_options.cost = auth::PasswordCost::Minimal();
  auth::SignInService sign_in(ctx.db(), auth_repo, dir.repo(), ctx.audit(), policy,
                              SystemClock::Get(), auth_options);
  for (const Account* person : {&admin, &doctor, &secretary, &intern}) {
    CADUCE_TRY(std::string token, sign_in.IssueActivation(person->id));
    CADUCE_RETURN_IF_ERROR(sign_in.SetPassword(token, kDemoPassword, "", "caduce init --demo"));
  }
  CADUCE_RETURN_IF_ERROR(DeliverDemoMail(ctx));
  return true;
}

}  // namespace caduce::cli
