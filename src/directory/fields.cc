// The FIELDS.md matrix. Source: the seed annex "Champs du fichier de chargement des
// comptes", completed by FIELDS.md for ORG, APP, "Type de compte" and footnotes 1-6.
#include "directory/fields.h"

#include <unordered_map>

#include "base/text.h"

namespace caduce::directory {
namespace {

using R = Requirement;
using K = FieldKind;
constexpr R O = R::kMandatory;
constexpr R OSC = R::kConditional;
constexpr R Rc = R::kRecommended;
constexpr R F = R::kOptional;
constexpr R NC = R::kNotConcerned;

//                                                                    PER  INT  MED  ORG  APP
const std::array<FieldSpec, kNumFields> kTable = {{
    {Field::kType, "Type de compte", "type", K::kList, {O, O, O, O, O}},
    {Field::kAddress, "Adresse mail", "address", K::kAddress, {O, O, O, O, O}},
    {Field::kNom, "NOM", "nom", K::kText, {O, O, O, F, F}},
    {Field::kPrenom, "Prénom", "prenom", K::kText, {O, O, O, F, F}},
    {Field::kRpps, "RPPS", "rpps", K::kDigits, {OSC, NC, NC, NC, NC}},    // footnote 1
    {Field::kAdeli, "ADELI", "adeli", K::kDigits, {OSC, NC, NC, NC, NC}},  // footnote 1
    {Field::kRaisonSociale, "Raison Sociale", "raison_sociale", K::kText, {Rc, Rc, Rc, Rc, Rc}},
    {Field::kService, "Service de rattachement", "service", K::kText, {F, F, F, F, F}},
    {Field::kAdresse1, "Adresse (1)", "adresse_1", K::kText, {Rc, Rc, Rc, Rc, Rc}},
    {Field::kAdresse2, "Adresse (2)", "adresse_2", K::kText, {F, F, F, F, F}},
    {Field::kCp, "CP", "cp", K::kDigits, {O, O, O, O, O}},
    {Field::kVille, "VILLE", "ville", K::kText, {O, O, O, O, O}},
    {Field::kDepartement, "Département", "departement", K::kList, {O, O, O, O, O}},
    {Field::kRegion, "Région", "region", K::kList, {O, O, O, O, O}},
    {Field::kTelephone1, "Téléphone (1)", "telephone_1", K::kPhone, {F, F, F, F, F}},
    {Field::kTelephone2, "Téléphone (2)", "telephone_2", K::kPhone, {F, F, F, F, F}},
    {Field::kProfession, "Profession", "profession", K::kList, {O, O, O, NC, NC}},
    {Field::kSpecialite, "Spécialité", "specialite", K::kList, {Rc, Rc, Rc, NC, NC}},
    {Field::kDiplome, "Diplôme", "diplome", K::kText, {NC, OSC, NC, NC, NC}},  // footnote 2
    {Field::kActiviteLiberale, "Activité libérale", "activite_liberale", K::kYesNo,
     {O, O, O, NC, NC}},
    {Field::kTypeIdStructure, "Type identifiant structure resp", "type_id_structure", K::kList,
     {NC, O, NC, O, O}},
    {Field::kIdStructure, "Identifiant structure resp", "id_structure", K::kDigits,
     {NC, O, NC, O, O}},
    {Field::kAdresseRetour, "Adresse de retour", "adresse_retour", K::kAddress,
     {NC, NC, NC, F, F}},
    {Field::kNomResp, "Nom resp", "nom_resp", K::kText, {NC, NC, NC, O, O}},
    {Field::kPrenomResp, "Prénom resp", "prenom_resp", K::kText, {NC, NC, NC, O, O}},
    {Field::kProfessionResp, "Profession resp", "profession_resp", K::kText,
     {NC, NC, NC, Rc, Rc}},
    {Field::kIdentifiantResp, "Identifiant resp", "identifiant_resp", K::kText,
     {NC, NC, NC, Rc, Rc}},
    {Field::kDescription, "Description fonctionnelle", "description", K::kText,
     {NC, NC, NC, O, O}},
    {Field::kCiviliteExercice, "Civilité exercice", "civilite_exercice", K::kList,
     {NC, OSC, NC, NC, NC}},  // footnote 3
    {Field::kMssAddress, "MSSanté adresse", "mss_address", K::kLocalPart, {F, F, NC, F, F}},
    {Field::kApicryptAddress, "Apicrypt adresse", "apicrypt_address", K::kLocalPart,
     {F, F, F, NC, NC}},
    {Field::kApicryptSpecialite, "Apicrypt spécialité", "apicrypt_specialite", K::kText,
     {OSC, OSC, OSC, NC, NC}},  // footnote 4: F, mandatory when "Apicrypt adresse" is filled
    {Field::kDatePeremption, "Date de péremption", "date_peremption", K::kDate,
     {F, F, F, F, F}},
    {Field::kAlias, "Alias", "alias", K::kAddresses, {NC, NC, NC, F, F}},
    {Field::kConnectionAccounts, "Compte(s) de connexion", "connection_accounts",
     K::kAddresses, {NC, NC, NC, O, F}},  // footnote 5
    {Field::kStructure, "Structure", "structure", K::kText, {F, F, F, F, F}},
}};

}  // namespace

std::string_view AccountTypeCode(AccountType type) {
  switch (type) {
    case AccountType::kPer: return "PER";
    case AccountType::kInt: return "INT";
    case AccountType::kMed: return "MED";
    case AccountType::kOrg: return "ORG";
    case AccountType::kApp: return "APP";
  }
  return "?";
}

std::optional<AccountType> ParseAccountType(std::string_view code) {
  std::string f = text::Fold(code);
  if (f == "per") return AccountType::kPer;
  if (f == "int") return AccountType::kInt;
  if (f == "med") return AccountType::kMed;
  if (f == "org") return AccountType::kOrg;
  if (f == "app") return AccountType::kApp;
  return std::nullopt;
}

const std::array<FieldSpec, kNumFields>& FieldTable() { return kTable; }

std::optional<Field> FieldByHeader(std::string_view header) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string, Field>();
    for (const FieldSpec& s : kTable) {
      m->emplace(text::FoldLoose(s.header), s.field);
      m->emplace(text::FoldLoose(s.key), s.field);
    }
    return m;
  }();
  auto it = index->find(text::FoldLoose(header));
  if (it == index->end()) return std::nullopt;
  return it->second;
}

std::optional<Field> FieldByKey(std::string_view key) {
  for (const FieldSpec& s : kTable) {
    if (s.key == key) return s.field;
  }
  return std::nullopt;
}

}  // namespace caduce::directory
