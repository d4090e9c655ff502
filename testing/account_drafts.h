// File: testing/account_drafts.h
//
// Complete, valid account rows for tests that need accounts rather than test the
// validation itself: a nominative person (PER with an RPPS, INT with a structure
// identifier, MED otherwise) and a shared mailbox (ORG or APP) with its responsible
// person. Tests change one field of these to check one rule.
#ifndef CADUCE_TESTING_ACCOUNT_DRAFTS_H_
#define CADUCE_TESTING_ACCOUNT_DRAFTS_H_

#include <string>

#include "directory/validation.h"

namespace caduce::testing {

inline void SetField(directory::AccountDraft& d, directory::Field f, const std::string& v) {
  d.values[directory::FieldIndex(f)] = v;
}

// The address block every test account shares (Toulouse, Haute-Garonne, Occitanie).
inline void SetCommonFields(directory::AccountDraft& d) {
  using F = directory::Field;
  SetField(d, F::kCp, "31000");
  SetField(d, F::kVille, "Toulouse");
  SetField(d, F::kDepartement, "31");
  SetField(d, F::kRegion, "76");
  SetField(d, F::kRaisonSociale, "CHU");
  SetField(d, F::kAdresse1, "1 rue de la Santé");
}

// A person of type "PER", "INT" or "MED".
inline directory::AccountDraft PersonDraft(const std::string& type, const std::string& address,
                                           const std::string& nom = "Dupont",
                                           const std::string& prenom = "Marie") {
  using F = directory::Field;
  directory::AccountDraft d;
  SetField(d, F::kType, type);
  SetField(d, F::kAddress, address);
  SetField(d, F::kNom, nom);
  SetField(d, F::kPrenom, prenom);
  SetField(d, F::kActiviteLiberale, "NON");
  SetCommonFields(d);
  if (type == "PER") {
    SetField(d, F::kRpps, "10001234565");
    SetField(d, F::kProfession, "10");
    SetField(d, F::kSpecialite, "SM04");
  } else if (type == "INT") {
    SetField(d, F::kProfession, "60");
    SetField(d, F::kTypeIdStructure, "2");
    SetField(d, F::kIdStructure, "310001235");
  } else {
    SetField(d, F::kProfession, "C01");
  }
  return d;
}

// A shared mailbox of type "ORG" or "APP".
inline directory::AccountDraft SharedDraft(const std::string& type, const std::string& address,
                                           const std::string& connection_accounts,
                                           const std::string& description = "Secrétariat de "
                                                                            "cardiologie") {
  using F = directory::Field;
  directory::AccountDraft d;
  SetField(d, F::kType, type);
  SetField(d, F::kAddress, address);
  SetCommonFields(d);
  SetField(d, F::kTypeIdStructure, "2");
  SetField(d, F::kIdStructure, "310001235");
  SetField(d, F::kNomResp, "Durand");
  SetField(d, F::kPrenomResp, "Paul");
  SetField(d, F::kProfessionResp, "Cadre");
  SetField(d, F::kIdentifiantResp, "poste 12");
  SetField(d, F::kDescription, description);
  SetField(d, F::kConnectionAccounts, connection_accounts);
  return d;
}

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_ACCOUNT_DRAFTS_H_
