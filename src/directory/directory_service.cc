// The directory service: authorisation, state checks and audit around the pure
// validation of validation.cc and the storage of a DirectoryRepository.
#include "directory/directory_service.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "base/json.h"
#include "base/text.h"

namespace caduce::directory {
namespace {

using storage::Tx;
using storage::TxMode;

Finding Error(Field f, std::string code, std::string message) {
  return Finding{f, Severity::kError, std::move(code), std::move(message)};
}

bool AnyError(const std::vector<Finding>& findings, size_t from) {
  for (size_t i = from; i < findings.size(); ++i) {
    if (findings[i].severity == Severity::kError) return true;
  }
  return false;
}

Status RefusedInput(const std::vector<Finding>& findings, size_t from) {
  size_t n = 0;
  for (size_t i = from; i < findings.size(); ++i) {
    if (findings[i].severity == Severity::kError) ++n;
  }
  return InvalidArgumentError(
      fmt::format("{} erreur{} à corriger", n, n > 1 ? "s" : ""));
}

// Splits a "Compte(s) de connexion" or "Alias" cell as stored (';'-joined).
std::vector<std::string> SplitList(std::string_view v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find(';', start);
    if (end == std::string_view::npos) end = v.size();
    std::string_view part = text::Trim(v.substr(start, end - start));
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string FieldsJson(const Account& a) {
  JsonObject o;
  for (const FieldSpec& s : FieldTable()) {
    if (s.field == Field::kType || s.field == Field::kConnectionAccounts ||
        s.field == Field::kStructure) {
      continue;
    }
    const std::string& v = a.get(s.field);
    if (!v.empty()) o.Add(s.key, v);
  }
  return o.str();
}

bool ValidDomain(std::string_view d) {
  return !d.empty() && IsValidAddress(std::string("x@") + std::string(d));
}

}  // namespace

std::string AccountObject(int64_t id) { return fmt::format("account:{}", id); }

audit::Event DirectoryService::MakeEvent(const Actor& actor, std::string action,
                                         std::string object, int64_t mailbox_id,
                                         std::string detail) const {
  audit::Event e;
  e.actor_person_id = actor.person_id;
  e.actor = actor.label;
  e.mailbox_id = mailbox_id;
  e.action = std::move(action);
  e.object = std::move(object);
  e.ip = actor.ip;
  e.detail = std::move(detail);
  if (!actor.user_agent.empty()) {
    // Appended to the detail object (one key more), as auth/ records it.
    std::string ua;
    AppendJsonString(ua, actor.user_agent);
    if (e.detail.size() >= 2 && e.detail.back() == '}') {
      e.detail.insert(e.detail.size() - 1,
                      (e.detail.size() > 2 ? ",\"user_agent\":" : "\"user_agent\":") + ua);
    } else if (e.detail.empty()) {
      e.detail = "{\"user_agent\":" + ua + "}";
    }
  }
  return e;
}

// ---- Scope ------------------------------------------------------------------------

Result<Scope> DirectoryService::ScopeOf(Tx& tx, const Actor& actor) {
  if (actor.scope) return *actor.scope;
  Scope scope;
  switch (actor.kind) {
    case Actor::Kind::kSystem:
      scope.all = true;
      return scope;
    case Actor::Kind::kOperator:
      if (actor.person_id == 0) {
        scope.all = true;
        return scope;
      }
      break;
    case Actor::Kind::kPerson:
      break;
  }
  CADUCE_TRY(bool is_operator, repo_.IsOperator(tx, actor.person_id));
  if (is_operator) {
    scope.all = true;
    return scope;
  }
  CADUCE_TRY(scope.structure_ids, repo_.StructuresAdministeredBy(tx, actor.person_id));
  std::sort(scope.structure_ids.begin(), scope.structure_ids.end());
  return scope;
}

Status DirectoryService::RequireOperator(Tx& tx, const Actor& actor) {
  CADUCE_TRY(Scope scope, ScopeOf(tx, actor));
  if (!scope.all) {
    return PermissionDeniedError("Seul l'opérateur du service peut faire cette opération.");
  }
  return OkStatus();
}

Status DirectoryService::RequireAdministers(Tx& tx, const Actor& actor, int64_t structure_id) {
  CADUCE_TRY(Scope scope, ScopeOf(tx, actor));
  if (!scope.Covers(structure_id)) {
    return PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs "
        "ou à l'opérateur.");
  }
  return OkStatus();
}

Result<Account> DirectoryService::LoadInScope(Tx& tx, const Actor& actor, int64_t id) {
  CADUCE_TRY(std::optional<Account> account, repo_.FindAccount(tx, id));
  CADUCE_TRY(Scope scope, ScopeOf(tx, actor));
  // The same answer whether the account does not exist or is out of scope: an
  // administrator learns nothing of other structures.
  if (!account || !scope.Covers(account->structure_id)) {
    return NotFoundError(fmt::format("Aucun compte n°{} dans vos structures.", id));
  }
  return std::move(*account);
}

// ---- Structures -------------------------------------------------------------------

Result<Structure> DirectoryService::CreateStructure(const Actor& actor, Structure draft,
                                                    std::vector<Finding>* findings) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(RequireOperator(*tx, actor));
  size_t first = findings->size();
  std::string name = text::CollapseSpaces(draft.name);
  if (!text::IsValidUtf8(draft.name) || text::HasControlChars(draft.name)) {
    findings->push_back(Error(Field::kStructure, "invalid_text",
                              "Le nom de la structure contient des caractères invalides."));
  } else if (name.empty()) {
    findings->push_back(Error(Field::kStructure, "required",
                              "Indiquez le nom de la structure."));
  } else if (text::CodePointCount(name) > kMaxValueChars) {
    findings->push_back(Error(Field::kStructure, "too_long",
                              "Le nom de la structure dépasse 255 caractères."));
  }
  // The structure's own identifier follows the rules of "Identifiant structure resp".
  if (!draft.id_type.empty() || !draft.id_value.empty()) {
    AccountDraft probe;
    probe.values[FieldIndex(Field::kType)] = "ORG";
    probe.values[FieldIndex(Field::kTypeIdStructure)] = draft.id_type;
    probe.values[FieldIndex(Field::kIdStructure)] = draft.id_value;
    ValidationResult vr = ValidateAccount(probe, ref_, Channel::kForm);
    for (Finding& f : vr.findings) {
      if (f.field == Field::kTypeIdStructure || f.field == Field::kIdStructure) {
        findings->push_back(std::move(f));
      }
    }
    draft.id_type = vr.normalized[FieldIndex(Field::kTypeIdStructure)];
    draft.id_value = vr.normalized[FieldIndex(Field::kIdStructure)];
  }
  std::string domain = text::ToLowerAscii(text::Trim(draft.mss_domain));
  if (!domain.empty() && !ValidDomain(domain)) {
    findings->push_back(Error(Field::kMssAddress, "invalid_domain",
                              fmt::format("Le domaine MSSanté « {} » n'est pas un nom de "
                                          "domaine valide (exemple : chu-exemple.mssante.fr).",
                                          draft.mss_domain)));
  }
  if (AnyError(*findings, first)) return RefusedInput(*findings, first);
  CADUCE_TRY(std::optional<Structure> existing, repo_.FindStructureByName(*tx, name));
  if (existing) {
    findings->push_back(Error(Field::kStructure, "structure_exists",
                              fmt::format("Une structure nommée « {} » existe déjà.", name)));
    return AlreadyExistsError(fmt::format("La structure « {} » existe déjà.", name));
  }
  draft.name = name;
  draft.mss_domain = domain;
  draft.created_at = clock_.NowMicros();
  CADUCE_TRY(draft.id, repo_.InsertStructure(*tx, draft));
  JsonObject detail;
  detail.Add("name", draft.name).Add("id_type", draft.id_type).Add("id_value", draft.id_value)
      .Add("mss_domain", draft.mss_domain);
  CADUCE_RETURN_IF_ERROR(audit_.Append(*tx, MakeEvent(actor, "structure.created",
                                                      fmt::format("structure:{}", draft.id), 0,
                                                      detail.str())));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return draft;
}

Result<std::vector<Structure>> DirectoryService::ListStructures(const Actor& actor) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  return ListStructuresInTx(*tx, actor);
}

Result<std::vector<Structure>> DirectoryService::ListStructuresInTx(Tx& tx, const Actor& actor) {
  CADUCE_TRY(Scope scope, ScopeOf(tx, actor));
  CADUCE_TRY(std::vector<Structure> all, repo_.ListStructures(tx));
  std::vector<Structure> out;
  for (Structure& s : all) {
    if (scope.Covers(s.id)) out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Structure& a, const Structure& b) { return a.name < b.name; });
  return out;
}

Result<Structure> DirectoryService::FindStructure(const Actor& actor, std::string_view name) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
  CADUCE_TRY(std::optional<Structure> s,
             repo_.FindStructureByName(*tx, text::CollapseSpaces(name)));
  if (!s || !scope.Covers(s->id)) {
    return NotFoundError(
        fmt::format("Aucune structure nommée « {} » parmi celles que vous administrez.", name));
  }
  return std::move(*s);
}

Status DirectoryService::AddAdministrator(const Actor& actor, int64_t structure_id,
                                          std::string_view person_address) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(RequireOperator(*tx, actor));
  CADUCE_TRY(std::optional<Structure> s, repo_.FindStructure(*tx, structure_id));
  if (!s) return NotFoundError(fmt::format("Aucune structure n°{}.", structure_id));
  std::string address = text::ToLowerAscii(text::Trim(person_address));
  CADUCE_TRY(std::optional<Account> person, repo_.FindAccountByAddress(*tx, address));
  if (!person) return NotFoundError(fmt::format("Aucun compte « {} ».", address));
  if (!IsNominative(person->type)) {
    return InvalidArgumentError(fmt::format(
        "« {} » est un compte {} : un administrateur est une personne (compte PER, INT ou "
        "MED).",
        address, AccountTypeCode(person->type)));
  }
  CADUCE_RETURN_IF_ERROR(repo_.AddAdministrator(*tx, person->id, structure_id));
  JsonObject detail;
  detail.Add("person", address).Add("structure", s->name);
  CADUCE_RETURN_IF_ERROR(audit_.Append(
      *tx, MakeEvent(actor, "administrator.added", fmt::format("structure:{}", structure_id), 0,
                     detail.str())));
  return tx->Commit();
}

Status DirectoryService::SetOperator(const Actor& actor, std::string_view person_address,
                                     bool is_operator) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(RequireOperator(*tx, actor));
  std::string address = text::ToLowerAscii(text::Trim(person_address));
  CADUCE_TRY(std::optional<Account> person, repo_.FindAccountByAddress(*tx, address));
  if (!person || !IsNominative(person->type)) {
    return NotFoundError(fmt::format("Aucun compte nominatif « {} ».", address));
  }
  CADUCE_RETURN_IF_ERROR(repo_.SetOperator(*tx, person->id, is_operator));
  JsonObject detail;
  detail.Add("person", address).Add("operator", is_operator);
  CADUCE_RETURN_IF_ERROR(audit_.Append(
      *tx, MakeEvent(actor, is_operator ? "operator.added" : "operator.removed",
                     AccountObject(person->id), 0, detail.str())));
  return tx->Commit();
}

// ---- Accounts ---------------------------------------------------------------------

Status DirectoryService::FillMssAddress(Tx& tx, const Structure& structure, Account& account,
                                        bool asked, std::vector<Finding>* findings) {
  std::string& mss = account.get(Field::kMssAddress);
  if (Spec(Field::kMssAddress).For(account.type) == Requirement::kNotConcerned) return OkStatus();
  if (structure.mss_domain.empty()) return OkStatus();
  if (!mss.empty()) {
    CADUCE_TRY(bool taken,
               repo_.MssLocalPartTaken(tx, mss, structure.mss_domain, account.id));
    if (!taken) {
      CADUCE_TRY(std::optional<Account> holder,
                 repo_.FindAccountByAddress(tx, mss + "@" + structure.mss_domain));
      taken = holder.has_value() && holder->id != account.id;
    }
    if (taken) {
      findings->push_back(Error(
          Field::kMssAddress, "mss_address_taken",
          fmt::format("L'adresse MSSanté « {}@{} » est déjà utilisée : choisissez une autre "
                      "particule ou laissez la colonne « MSSanté adresse » vide pour qu'elle "
                      "soit générée.",
                      mss, structure.mss_domain)));
    }
    return OkStatus();
  }
  // FIELDS.md "MSSanté address generation": PER with an RPPS or ADELI, or when asked.
  bool per_with_id = account.type == AccountType::kPer &&
                     (!account.get(Field::kRpps).empty() || !account.get(Field::kAdeli).empty());
  if (!per_with_id && !asked) return OkStatus();
  std::string base =
      MssLocalPartFromNames(account.get(Field::kPrenom), account.get(Field::kNom));
  if (base.empty()) return OkStatus();
  for (int suffix = 1; suffix < 10000; ++suffix) {
    std::string candidate = suffix == 1 ? base : fmt::format("{}{}", base, suffix);
    CADUCE_TRY(bool taken,
               repo_.MssLocalPartTaken(tx, candidate, structure.mss_domain, account.id));
    if (!taken) {
      // An account whose own address is already candidate@domain holds it too.
      CADUCE_TRY(std::optional<Account> holder,
                 repo_.FindAccountByAddress(tx, candidate + "@" + structure.mss_domain));
      taken = holder.has_value() && holder->id != account.id;
    }
    if (!taken) {
      mss = candidate;
      return OkStatus();
    }
  }
  return OkStatus();
}

Result<Account> DirectoryService::CreateAccount(const Actor& actor, int64_t structure_id,
                                                const AccountDraft& draft,
                                                const CreateOptions& options,
                                                std::vector<Finding>* findings) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(Account account,
             CreateAccountInTx(*tx, actor, structure_id, draft, options, findings));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return account;
}

Result<Account> DirectoryService::CreateAccountInTx(Tx& tx, const Actor& actor,
                                                    int64_t structure_id,
                                                    const AccountDraft& draft,
                                                    const CreateOptions& options,
                                                    std::vector<Finding>* findings) {
  CADUCE_RETURN_IF_ERROR(RequireAdministers(tx, actor, structure_id));
  CADUCE_TRY(std::optional<Structure> structure, repo_.FindStructure(tx, structure_id));
  if (!structure) return NotFoundError(fmt::format("Aucune structure n°{}.", structure_id));

  size_t first = findings->size();
  ValidationResult vr = ValidateAccount(draft, ref_, options.channel);
  bool address_ok = true;
  for (Finding& f : vr.findings) {
    if (f.field == Field::kAddress && f.severity == Severity::kError) address_ok = false;
    findings->push_back(std::move(f));
  }
  std::optional<AccountType> type = ParseAccountType(vr.normalized[FieldIndex(Field::kType)]);
  const std::string& address = vr.normalized[FieldIndex(Field::kAddress)];
  if (address_ok && !address.empty()) {
    CADUCE_TRY(std::optional<AccountBrief> existing,
               repo_.FindAccountBriefByAddress(tx, address));
    if (existing) {
      findings->push_back(Error(
          Field::kAddress, "address_taken",
          fmt::format("L'adresse « {} » est déjà celle d'un autre compte : choisissez-en une "
                      "autre.",
                      address)));
    }
  }
  if (AnyError(*findings, first) || !type) return RefusedInput(*findings, first);

  Account account;
  account.structure_id = structure_id;
  account.type = *type;
  // A person activates its account by choosing a password; a shared mailbox has no
  // password (nobody signs into it) and is in service at once.
  account.status = IsNominative(*type) ? AccountStatus::kPending : AccountStatus::kActive;
  account.visible_in_directory = options.visible_in_directory;
  // The list of connection accounts is not a column of the account: kept aside,
  // and the validated values moved rather than copied (a bulk import makes
  // hundreds of thousands of accounts).
  std::string connection_accounts =
      std::move(vr.normalized[FieldIndex(Field::kConnectionAccounts)]);
  account.fields = std::move(vr.normalized);
  account.get(Field::kType) = std::string(AccountTypeCode(*type));
  account.get(Field::kConnectionAccounts).clear();
  account.get(Field::kStructure).clear();
  account.created_at = account.updated_at = clock_.NowMicros();
  CADUCE_RETURN_IF_ERROR(
      FillMssAddress(tx, *structure, account, options.generate_mss_address, findings));
  if (AnyError(*findings, first)) return RefusedInput(*findings, first);

  CADUCE_TRY(account.id, repo_.InsertAccount(tx, account));
  if (audit_.Records()) {  // not for a dry run, whose trail drops everything
    JsonObject detail;
    detail.Add("address", account.address())
        .Add("type", AccountTypeCode(account.type))
        .Add("structure", structure->name)
        .Add("visible", account.visible_in_directory)
        .AddRaw("fields", FieldsJson(account));
    CADUCE_RETURN_IF_ERROR(audit_.Append(
        tx, MakeEvent(actor, "account.created", AccountObject(account.id),
                      IsSharedMailbox(account.type) ? account.id : 0, detail.str())));
  }

  if (IsSharedMailbox(account.type)) {
    std::vector<std::string> persons = SplitList(connection_accounts);
    if (!persons.empty()) {
      int64_t granted = 0, revoked = 0;
      CADUCE_RETURN_IF_ERROR(
          SetConnectionAccountsInTx(tx, actor, account, persons, findings, &granted, &revoked));
    }
  }
  return account;
}

Result<Account> DirectoryService::ReplaceAccountInTx(Tx& tx, const Actor& actor,
                                                     const Account& current,
                                                     const AccountDraft& draft, Channel channel,
                                                     std::vector<Finding>* findings,
                                                     bool* changed,
                                                     std::vector<std::string>* connection_accounts) {
  *changed = false;
  CADUCE_RETURN_IF_ERROR(RequireAdministers(tx, actor, current.structure_id));
  size_t first = findings->size();
  ValidationResult vr = ValidateAccount(draft, ref_, channel);
  if (connection_accounts != nullptr) {
    *connection_accounts = SplitList(vr.normalized[FieldIndex(Field::kConnectionAccounts)]);
  }
  for (Finding& f : vr.findings) findings->push_back(std::move(f));
  std::optional<AccountType> type = ParseAccountType(vr.normalized[FieldIndex(Field::kType)]);
  if (type && *type != current.type) {
    findings->push_back(Error(
        Field::kType, "type_immutable",
        fmt::format("Le type d'un compte ne change pas (« {} » est {}) : créez un nouveau "
                    "compte avec une autre adresse.",
                    current.address(), AccountTypeCode(current.type))));
  }
  if (vr.normalized[FieldIndex(Field::kAddress)] != current.address()) {
    findings->push_back(Error(Field::kAddress, "address_immutable",
                              "L'adresse mail d'un compte ne change pas."));
  }
  if (AnyError(*findings, first)) return RefusedInput(*findings, first);

  Account updated = current;
  for (const FieldSpec& s : FieldTable()) {
    if (s.field == Field::kType || s.field == Field::kAddress ||
        s.field == Field::kConnectionAccounts || s.field == Field::kStructure) {
      continue;
    }
    updated.get(s.field) = vr.normalized[FieldIndex(s.field)];
  }
  // FIELDS.md: the MSSanté address never changes once set unless the administrator
  // changes it; an empty cell keeps it (clearing a published address is not an edit).
  if (updated.get(Field::kMssAddress).empty()) {
    updated.get(Field::kMssAddress) = current.get(Field::kMssAddress);
  }
  if (updated.get(Field::kMssAddress) != current.get(Field::kMssAddress)) {
    CADUCE_TRY(std::optional<Structure> structure,
               repo_.FindStructure(tx, current.structure_id));
    if (structure) {
      CADUCE_RETURN_IF_ERROR(FillMssAddress(tx, *structure, updated, false, findings));
      if (AnyError(*findings, first)) return RefusedInput(*findings, first);
    }
  }
  JsonObject diff;
  for (const FieldSpec& s : FieldTable()) {
    const std::string& before = current.get(s.field);
    const std::string& after = updated.get(s.field);
    if (before != after) {
      JsonObject change;
      change.Add("from", before).Add("to", after);
      diff.AddRaw(s.key, change.str());
    }
  }
  if (diff.empty()) return updated;
  *changed = true;
  updated.updated_at = clock_.NowMicros();
  CADUCE_RETURN_IF_ERROR(repo_.UpdateAccount(tx, updated));
  JsonObject detail;
  detail.Add("address", updated.address()).AddRaw("changes", diff.str());
  CADUCE_RETURN_IF_ERROR(audit_.Append(
      tx, MakeEvent(actor, "account.updated", AccountObject(updated.id),
                    IsSharedMailbox(updated.type) ? updated.id : 0, detail.str())));
  return updated;
}

Result<Account> DirectoryService::UpdateAccount(const Actor& actor, int64_t account_id,
                                                const FieldChanges& changes,
                                                std::vector<Finding>* findings) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(Account current, LoadInScope(*tx, actor, account_id));
  CADUCE_RETURN_IF_ERROR(RequireAdministers(*tx, actor, current.structure_id));
  CADUCE_TRY(FieldValues row, RowOf(*tx, current));
  AccountDraft draft;
  draft.values = row;
  bool rights_given = false;
  for (const auto& [field, value] : changes) {
    if (field == Field::kStructure) {
      findings->push_back(Error(Field::kStructure, "structure_immutable",
                                "Un compte ne change pas de structure."));
      continue;
    }
    if (field == Field::kConnectionAccounts) rights_given = true;
    draft.values[FieldIndex(field)] = value;
  }
  size_t first = findings->size();
  if (AnyError(*findings, 0)) return RefusedInput(*findings, 0);
  bool changed = false;
  std::vector<std::string> persons;
  CADUCE_TRY(Account updated, ReplaceAccountInTx(*tx, actor, current, draft, Channel::kForm,
                                                 findings, &changed, &persons));
  if (rights_given && IsSharedMailbox(updated.type)) {
    int64_t granted = 0, revoked = 0;
    CADUCE_RETURN_IF_ERROR(
        SetConnectionAccountsInTx(*tx, actor, updated, persons, findings, &granted, &revoked));
  }
  if (AnyError(*findings, first)) return RefusedInput(*findings, first);
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return updated;
}

Status DirectoryService::SetDisabled(const Actor& actor, int64_t account_id, bool disabled) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(Account account, LoadInScope(*tx, actor, account_id));
  CADUCE_RETURN_IF_ERROR(RequireAdministers(*tx, actor, account.structure_id));
  bool is_disabled = account.status == AccountStatus::kDisabled;
  if (is_disabled == disabled) return OkStatus();
  if (disabled) {
    account.status = AccountStatus::kDisabled;
    account.disabled_reason = "admin";
  } else {
    account.status = account.has_password || IsSharedMailbox(account.type)
                         ? AccountStatus::kActive
                         : AccountStatus::kPending;
    account.disabled_reason.clear();
  }
  account.updated_at = clock_.NowMicros();
  CADUCE_RETURN_IF_ERROR(repo_.UpdateAccount(*tx, account));
  JsonObject detail;
  detail.Add("address", account.address());
  CADUCE_RETURN_IF_ERROR(audit_.Append(
      *tx, MakeEvent(actor, disabled ? "account.disabled" : "account.enabled",
                     AccountObject(account.id), IsSharedMailbox(account.type) ? account.id : 0,
                     detail.str())));
  return tx->Commit();
}

Result<Account> DirectoryService::GetAccount(const Actor& actor, int64_t id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  return LoadInScope(*tx, actor, id);
}

Result<Account> DirectoryService::GetAccountByAddress(const Actor& actor,
                                                      std::string_view address) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  std::string a = text::ToLowerAscii(text::Trim(address));
  CADUCE_TRY(std::optional<Account> account, repo_.FindAccountByAddress(*tx, a));
  CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
  if (!account || !scope.Covers(account->structure_id)) {
    return NotFoundError(fmt::format("Aucun compte « {} » dans vos structures.", a));
  }
  return std::move(*account);
}

Result<std::vector<Account>> DirectoryService::ListAccounts(const Actor& actor,
                                                            AccountFilter filter) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
  if (!scope.all) {
    if (filter.structure_ids.empty()) {
      filter.structure_ids = scope.structure_ids;
    } else {
      std::vector<int64_t> kept;
      for (int64_t id : filter.structure_ids) {
        if (scope.Covers(id)) kept.push_back(id);
      }
      filter.structure_ids = kept;
    }
    if (filter.structure_ids.empty()) return std::vector<Account>{};
  }
  return repo_.ListAccounts(*tx, filter);
}

Result<AccountPage> DirectoryService::ListAccountPage(const Actor& actor, AccountPageQuery query) {
  if (!text::IsValidUtf8(query.prefix)) {
    return InvalidArgumentError("La recherche contient des caractères invalides.");
  }
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(RequireAdministers(*tx, actor, query.structure_id));
  query.limit = std::clamp(query.limit, 1, 200);
  return repo_.ListAccountPage(*tx, query);
}

Result<int64_t> DirectoryService::LastSignIn(const Actor& actor, int64_t account_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(Account account, LoadInScope(*tx, actor, account_id));
  return repo_.LastSignIn(*tx, account.id);
}

Result<std::vector<Account>> DirectoryService::Search(const Actor& actor,
                                                      std::string_view prefix,
                                                      bool only_nominative, int limit) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
  SearchQuery q;
  q.prefix = std::string(prefix);
  q.only_nominative = only_nominative;
  q.limit = std::clamp(limit, 1, 50);
  if (!text::IsValidUtf8(q.prefix)) {
    return InvalidArgumentError("La recherche contient des caractères invalides.");
  }
  if (text::Fold(q.prefix).empty()) return std::vector<Account>{};
  if (scope.all) {
    // every structure
  } else if (!scope.structure_ids.empty()) {
    q.structure_ids = scope.structure_ids;
  } else {
    q.only_visible = true;  // a person: the directory (annuaire)
  }
  return repo_.Search(*tx, q);
}

std::string_view DirectoryTypeLabel(AccountType type) {
  switch (type) {
    case AccountType::kPer:
    case AccountType::kInt:
    case AccountType::kMed:
      return "Personne";
    case AccountType::kOrg:
      return "Boîte organisationnelle";
    case AccountType::kApp:
      return "Boîte applicative";
  }
  return "";
}

Result<std::vector<DirectorySuggestion>> DirectoryService::SuggestRecipients(
    const Actor& actor, std::string_view query, int limit) {
  // The directory is the whole instance's, for every person alike: no scope.
  if (actor.kind == Actor::Kind::kSystem) {
    return PermissionDeniedError("L'annuaire n'est consultable que par une personne connectée.");
  }
  bool control = std::any_of(query.begin(), query.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control || !text::IsValidUtf8(query)) {
    return InvalidArgumentError(
        "Le paramètre q contient des caractères invalides : saisissez un nom, un prénom ou une "
        "adresse.");
  }
  std::string folded = text::Fold(query);
  if (text::CodePointCount(folded) < kSuggestMinChars) {
    return InvalidArgumentError(fmt::format(
        "Le paramètre q doit contenir au moins {} caractères : saisissez le début d'un nom, "
        "d'un prénom ou d'une adresse.",
        kSuggestMinChars));
  }
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(std::vector<DirectoryEntry> entries,
             repo_.SearchDirectory(*tx, folded, std::clamp(limit, 1, kSuggestMaxLimit)));
  std::vector<DirectorySuggestion> out;
  out.reserve(entries.size());
  for (DirectoryEntry& e : entries) {
    DirectorySuggestion s;
    if (IsNominative(e.type) || e.description.empty()) {
      s.name = e.prenom;
      if (!e.prenom.empty() && !e.nom.empty()) s.name += ' ';
      s.name += e.nom;
    } else {
      s.name = std::move(e.description);
    }
    if (s.name.empty()) s.name = e.address;
    s.address = std::move(e.address);
    s.type = e.type;
    s.type_label = std::string(DirectoryTypeLabel(e.type));
    s.structure = std::move(e.structure_name);
    out.push_back(std::move(s));
  }
  return out;
}

// ---- Connection rights ------------------------------------------------------------

Status DirectoryService::GrantRightInTx(Tx& tx, const Actor& actor, const Scope& scope,
                                        const AccountBrief& mailbox, const AccountBrief& person,
                                        std::vector<audit::Event>* events, bool* inserted) {
  (void)actor;
  if (!IsSharedMailbox(mailbox.type) || !IsNominative(person.type)) {
    return InvalidArgumentError(fmt::format(
        "Un droit de connexion permet à un compte nominatif (PER, INT ou MED) d'ouvrir une "
        "boîte organisationnelle ou applicative (ORG ou APP) : « {} » est {} et « {} » est {}.",
        mailbox.address, AccountTypeCode(mailbox.type), person.address,
        AccountTypeCode(person.type)));
  }
  if (!scope.Covers(mailbox.structure_id) || !scope.Covers(person.structure_id)) {
    return PermissionDeniedError(
        "Vous n'administrez pas la structure de l'un de ces comptes.");
  }
  ConnectionRight right;
  right.mailbox_id = mailbox.id;
  right.person_id = person.id;
  right.created_at = clock_.NowMicros();
  right.created_by = actor.label;
  CADUCE_TRY(*inserted, repo_.InsertRight(tx, right));
  if (*inserted && audit_.Records()) {
    JsonObject detail;
    detail.Add("mailbox", mailbox.address).Add("person", person.address);
    events->push_back(MakeEvent(actor, "right.granted", AccountObject(person.id), mailbox.id,
                                detail.str()));
  }
  return OkStatus();
}

Status DirectoryService::GrantRight(const Actor& actor, int64_t mailbox_id, int64_t person_id) {
  CADUCE_TRY(int64_t n, GrantRights(actor, {{mailbox_id, person_id}}));
  (void)n;
  return OkStatus();
}

Result<int64_t> DirectoryService::GrantRights(
    const Actor& actor, const std::vector<std::pair<int64_t, int64_t>>& mailbox_person) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
  std::unordered_map<int64_t, AccountBrief> cache;
  auto load = [&](int64_t id) -> Result<const AccountBrief*> {
    auto it = cache.find(id);
    if (it != cache.end()) return &it->second;
    CADUCE_TRY(std::optional<AccountBrief> a, repo_.FindAccountBrief(*tx, id));
    if (!a || !scope.Covers(a->structure_id)) {
      return NotFoundError(fmt::format("Aucun compte n°{} dans vos structures.", id));
    }
    return &cache.emplace(id, std::move(*a)).first->second;
  };
  std::vector<audit::Event> events;
  events.reserve(mailbox_person.size());
  int64_t added = 0;
  for (const auto& [mailbox_id, person_id] : mailbox_person) {
    CADUCE_TRY(const AccountBrief* mailbox, load(mailbox_id));
    CADUCE_TRY(const AccountBrief* person, load(person_id));
    bool inserted = false;
    CADUCE_RETURN_IF_ERROR(GrantRightInTx(*tx, actor, scope, *mailbox, *person, &events,
                                          &inserted));
    if (inserted) ++added;
  }
  CADUCE_RETURN_IF_ERROR(audit_.AppendAll(*tx, std::move(events)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return added;
}

Status DirectoryService::RevokeRightInTx(Tx& tx, const Actor& actor, const AccountBrief& mailbox,
                                         const AccountBrief& person,
                                         std::vector<audit::Event>* events) {
  CADUCE_TRY(bool deleted, repo_.DeleteRight(tx, mailbox.id, person.id));
  if (!deleted) {
    return NotFoundError(fmt::format("« {} » n'a pas de droit de connexion sur « {} ».",
                                     person.address, mailbox.address));
  }
  JsonObject detail;
  detail.Add("mailbox", mailbox.address).Add("person", person.address);
  events->push_back(
      MakeEvent(actor, "right.revoked", AccountObject(person.id), mailbox.id, detail.str()));
  // The default mailbox must stay one the person may open: back to itself.
  if (person.default_mailbox_id == mailbox.id) {
    CADUCE_TRY(std::optional<Account> p, repo_.FindAccount(tx, person.id));
    if (p) {
      p->default_mailbox_id = 0;
      p->updated_at = clock_.NowMicros();
      CADUCE_RETURN_IF_ERROR(repo_.UpdateAccount(tx, *p));
    }
    JsonObject d2;
    d2.Add("person", person.address).Add("from", mailbox.address).Add("to", person.address);
    events->push_back(MakeEvent(actor, "default.reset", AccountObject(person.id), mailbox.id,
                                d2.str()));
  }
  return OkStatus();
}

Status DirectoryService::RevokeRight(const Actor& actor, int64_t mailbox_id, int64_t person_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(Account mailbox, LoadInScope(*tx, actor, mailbox_id));
  CADUCE_TRY(Account person, LoadInScope(*tx, actor, person_id));
  std::vector<audit::Event> events;
  CADUCE_RETURN_IF_ERROR(RevokeRightInTx(*tx, actor, AccountBrief::Of(mailbox),
                                         AccountBrief::Of(person), &events));
  CADUCE_RETURN_IF_ERROR(audit_.AppendAll(*tx, std::move(events)));
  return tx->Commit();
}

Status DirectoryService::SetConnectionAccountsInTx(Tx& tx, const Actor& actor,
                                                   const Account& mailbox,
                                                   const std::vector<std::string>& addresses,
                                                   std::vector<Finding>* findings,
                                                   int64_t* granted, int64_t* revoked) {
  *granted = *revoked = 0;
  CADUCE_TRY(Scope scope, ScopeOf(tx, actor));
  if (!scope.Covers(mailbox.structure_id)) {
    return PermissionDeniedError("Vous n'administrez pas la structure de ce compte.");
  }
  if (!IsSharedMailbox(mailbox.type)) {
    findings->push_back(Error(
        Field::kConnectionAccounts, "not_concerned",
        "La colonne « Compte(s) de connexion » concerne les comptes ORG et APP seulement."));
    return RefusedInput(*findings, findings->size() - 1);
  }
  size_t first = findings->size();
  std::vector<AccountBrief> wanted;
  std::set<int64_t> wanted_ids;
  for (const std::string& raw : addresses) {
    std::string address = text::ToLowerAscii(text::Trim(raw));
    CADUCE_TRY(std::optional<AccountBrief> person,
               repo_.FindAccountBriefByAddress(tx, address));
    if (!person || !scope.Covers(person->structure_id)) {
      findings->push_back(Error(
          Field::kConnectionAccounts, "connection_account_unknown",
          fmt::format("Le compte de connexion « {} » n'existe pas dans vos structures : "
                      "créez-le (dans le même fichier ou avant) ou corrigez l'adresse.",
                      address)));
      continue;
    }
    if (!IsNominative(person->type)) {
      findings->push_back(Error(
          Field::kConnectionAccounts, "connection_account_not_nominative",
          fmt::format("« {} » est un compte {} : un compte de connexion doit être un compte "
                      "nominatif (PER, INT ou MED).",
                      address, AccountTypeCode(person->type))));
      continue;
    }
    if (wanted_ids.insert(person->id).second) wanted.push_back(std::move(*person));
  }
  if (AnyError(*findings, first)) return RefusedInput(*findings, first);

  std::vector<audit::Event> events;
  CADUCE_TRY(std::vector<ConnectionRight> current, repo_.RightsOnMailbox(tx, mailbox.id));
  for (const ConnectionRight& r : current) {
    if (wanted_ids.count(r.person_id)) continue;
    CADUCE_TRY(std::optional<AccountBrief> person, repo_.FindAccountBrief(tx, r.person_id));
    if (!person) continue;
    CADUCE_RETURN_IF_ERROR(
        RevokeRightInTx(tx, actor, AccountBrief::Of(mailbox), *person, &events));
    ++*revoked;
  }
  AccountBrief mailbox_brief = AccountBrief::Of(mailbox);
  for (const AccountBrief& person : wanted) {
    bool inserted = false;
    CADUCE_RETURN_IF_ERROR(
        GrantRightInTx(tx, actor, scope, mailbox_brief, person, &events, &inserted));
    if (inserted) ++*granted;
  }
  return audit_.AppendAll(tx, std::move(events));
}

Result<std::vector<Account>> DirectoryService::PersonsWithRight(const Actor& actor,
                                                                int64_t mailbox_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  CADUCE_TRY(Account mailbox, LoadInScope(*tx, actor, mailbox_id));
  CADUCE_TRY(std::vector<ConnectionRight> rights, repo_.RightsOnMailbox(*tx, mailbox.id));
  std::vector<Account> out;
  for (const ConnectionRight& r : rights) {
    CADUCE_TRY(std::optional<Account> a, repo_.FindAccount(*tx, r.person_id));
    if (a) out.push_back(std::move(*a));
  }
  return out;
}

Result<std::vector<Account>> DirectoryService::MailboxesOfPerson(const Actor& actor,
                                                                 int64_t person_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kRead));
  Result<Account> person = LoadInScope(*tx, actor, person_id);
  // A person may list its own mailboxes.
  if (!person.ok() && !(actor.person_id == person_id && actor.person_id != 0)) {
    return person.status();
  }
  CADUCE_TRY(std::vector<ConnectionRight> rights, repo_.RightsOfPerson(*tx, person_id));
  std::vector<Account> out;
  for (const ConnectionRight& r : rights) {
    CADUCE_TRY(std::optional<Account> a, repo_.FindAccount(*tx, r.mailbox_id));
    if (a) out.push_back(std::move(*a));
  }
  return out;
}

// ---- Default mailbox --------------------------------------------------------------

Status DirectoryService::SetDefaultMailbox(const Actor& actor, int64_t person_id,
                                           int64_t mailbox_id) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_TRY(std::optional<Account> person, repo_.FindAccount(*tx, person_id));
  bool self = actor.person_id != 0 && actor.person_id == person_id;
  if (!person) return NotFoundError(fmt::format("Aucun compte n°{}.", person_id));
  if (!self) {
    CADUCE_TRY(Scope scope, ScopeOf(*tx, actor));
    if (!scope.Covers(person->structure_id)) {
      return NotFoundError(fmt::format("Aucun compte n°{} dans vos structures.", person_id));
    }
  }
  if (!IsNominative(person->type)) {
    return InvalidArgumentError(fmt::format(
        "« {} » est un compte {} : seul un compte nominatif (PER, INT ou MED) a un compte par "
        "défaut.",
        person->address(), AccountTypeCode(person->type)));
  }
  std::string target = person->address();
  int64_t new_default = 0;
  if (mailbox_id != 0 && mailbox_id != person_id) {
    CADUCE_TRY(std::optional<Account> mailbox, repo_.FindAccount(*tx, mailbox_id));
    CADUCE_TRY(bool has, repo_.HasRight(*tx, mailbox_id, person_id));
    if (!mailbox || !has) {
      return FailedPreconditionError(fmt::format(
          "« {} » n'a pas de droit de connexion sur ce compte : ajoutez d'abord le droit, puis "
          "définissez-le comme compte par défaut.",
          person->address()));
    }
    new_default = mailbox_id;
    target = mailbox->address();
  }
  if (person->default_mailbox_id == new_default) return OkStatus();
  person->default_mailbox_id = new_default;
  person->updated_at = clock_.NowMicros();
  CADUCE_RETURN_IF_ERROR(repo_.UpdateAccount(*tx, *person));
  JsonObject detail;
  detail.Add("person", person->address()).Add("default", target);
  CADUCE_RETURN_IF_ERROR(audit_.Append(
      *tx, MakeEvent(actor, "default.changed", AccountObject(person_id), new_default,
                     detail.str())));
  return tx->Commit();
}

// ---- Expiry -----------------------------------------------------------------------

Result<int64_t> DirectoryService::ExpireAccounts(const Actor& actor) {
  CADUCE_TRY(auto tx, db_.Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(RequireOperator(*tx, actor));
  std::string today = clock_.TodayLocal();
  CADUCE_TRY(std::vector<int64_t> ids, repo_.AccountsExpiringBy(*tx, today));
  std::vector<audit::Event> events;
  for (int64_t id : ids) {
    CADUCE_TRY(std::optional<Account> account, repo_.FindAccount(*tx, id));
    if (!account || account->status == AccountStatus::kDisabled) continue;
    account->status = AccountStatus::kDisabled;
    account->disabled_reason = "expired";
    account->updated_at = clock_.NowMicros();
    CADUCE_RETURN_IF_ERROR(repo_.UpdateAccount(*tx, *account));
    JsonObject detail;
    detail.Add("address", account->address())
        .Add("date_peremption", account->get(Field::kDatePeremption))
        .Add("today", today);
    events.push_back(MakeEvent(actor, "account.expired", AccountObject(id),
                               IsSharedMailbox(account->type) ? id : 0, detail.str()));
  }
  int64_t n = static_cast<int64_t>(events.size());
  CADUCE_RETURN_IF_ERROR(audit_.AppendAll(*tx, std::move(events)));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return n;
}

// ---- Rows -------------------------------------------------------------------------

Result<FieldValues> DirectoryService::RowOf(Tx& tx, const Account& account) {
  FieldValues row = account.fields;
  row[FieldIndex(Field::kType)] = std::string(AccountTypeCode(account.type));
  if (IsSharedMailbox(account.type)) {
    CADUCE_TRY(std::vector<ConnectionRight> rights, repo_.RightsOnMailbox(tx, account.id));
    std::vector<std::string> addresses;
    addresses.reserve(rights.size());
    for (const ConnectionRight& r : rights) {
      // The address is all the cell needs: the brief, not the 44 columns.
      CADUCE_TRY(std::optional<AccountBrief> p, repo_.FindAccountBrief(tx, r.person_id));
      if (p) addresses.push_back(std::move(p->address));
    }
    std::sort(addresses.begin(), addresses.end());
    std::string joined;
    for (const std::string& a : addresses) {
      if (!joined.empty()) joined += ';';
      joined += a;
    }
    row[FieldIndex(Field::kConnectionAccounts)] = joined;
  }
  CADUCE_TRY(std::optional<Structure> s, repo_.FindStructure(tx, account.structure_id));
  if (s) row[FieldIndex(Field::kStructure)] = s->name;
  return row;
}

}  // namespace caduce::directory
