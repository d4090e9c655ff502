// File: directory/directory_service.h
//
// The directory's one service: structures, administrators, accounts, connection
// rights, default mailboxes, expiry and search. The form, the import, the API and
// the CLI all call it, so each rule of FIELDS.md and DESIGN.md exists once.
//
// Every call names its Actor and is authorised here (DESIGN.md rule 9):
//  - the operator may do everything;
//  - a structure administrator acts only on the accounts of the structures it
//    administers; a connection right needs both accounts in such structures;
//  - any person may set its own default mailbox and search the visible directory.
// Every change is written with its audit entry in the same transaction.
//
// Thread-safe: each call runs in its own transaction. The *InTx variants let a
// caller (the import) group many changes in one transaction of its own.
#ifndef CADUCE_DIRECTORY_DIRECTORY_SERVICE_H_
#define CADUCE_DIRECTORY_DIRECTORY_SERVICE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/model.h"
#include "directory/reference_data.h"
#include "directory/repository.h"
#include "directory/validation.h"
#include "storage/database.h"

namespace caduce::directory {

struct CreateOptions {
  Channel channel = Channel::kForm;
  bool visible_in_directory = false;
  // Generate the MSSanté local part for any type concerned, not only PER with an
  // RPPS or ADELI (FIELDS.md "MSSanté address generation": "or the administrator
  // asked for it").
  bool generate_mss_address = false;
};

// Changes to an account: field → new value as typed ("" clears the field).
using FieldChanges = std::map<Field, std::string>;

// A recipient suggestion from the directory (annuaire): what any signed-in
// person may know of an account visible in it.
struct DirectorySuggestion {
  std::string name;  // "Prénom NOM" of a person; a mailbox's « Description fonctionnelle »
  std::string address;
  AccountType type = AccountType::kPer;
  std::string type_label;  // « Personne », « Boîte organisationnelle », « Boîte applicative »
  std::string structure;   // the name of the account's structure
};

// The French label of a type in the directory.
std::string_view DirectoryTypeLabel(AccountType type);

class DirectoryService {
 public:
  DirectoryService(storage::Database& db, DirectoryRepository& repo, audit::AuditLog& audit,
                   const ReferenceData& ref, const Clock& clock)
      : db_(db), repo_(repo), audit_(audit), ref_(ref), clock_(clock) {}

  // ---- Who may do what ----

  // What `actor` may see and change: actor.scope when it is set (a bulk caller
  // computed it once for its transaction), else read from the store.
  Result<Scope> ScopeOf(storage::Tx& tx, const Actor& actor);

  // ---- Structures and administrators (operator only) ----

  // Creates a structure. Findings (French) explain a refused name, identifier or
  // domain; kAlreadyExists when the name is taken; kPermissionDenied unless operator.
  Result<Structure> CreateStructure(const Actor& actor, Structure draft,
                                    std::vector<Finding>* findings);
  // The structures `actor` may see (all for the operator), ordered by name.
  Result<std::vector<Structure>> ListStructures(const Actor& actor);
  // The same inside the caller's transaction (GET /api/me reads the person, its
  // scope and its structures in one).
  Result<std::vector<Structure>> ListStructuresInTx(storage::Tx& tx, const Actor& actor);
  // Finds a structure by exact name among those `actor` may see (kNotFound otherwise).
  Result<Structure> FindStructure(const Actor& actor, std::string_view name);
  // Makes the nominative account `person_address` an administrator of `structure`.
  Status AddAdministrator(const Actor& actor, int64_t structure_id,
                          std::string_view person_address);
  // Gives or removes the operator role (operator only).
  Status SetOperator(const Actor& actor, std::string_view person_address, bool is_operator);

  // ---- Accounts ----

  // Validates and creates an account in `structure_id`. Every finding (errors and
  // warnings) is appended to *findings. kInvalidArgument when any finding is an error
  // (nothing written); kPermissionDenied when the actor does not administer the
  // structure; kNotFound for an unknown structure. For an ORG/APP draft, the
  // addresses of "Compte(s) de connexion" must be existing nominative accounts; they
  // are granted in the same transaction.
  Result<Account> CreateAccount(const Actor& actor, int64_t structure_id,
                                const AccountDraft& draft, const CreateOptions& options,
                                std::vector<Finding>* findings);
  Result<Account> CreateAccountInTx(storage::Tx& tx, const Actor& actor, int64_t structure_id,
                                    const AccountDraft& draft, const CreateOptions& options,
                                    std::vector<Finding>* findings);

  // Applies `changes` to the account (validated as a whole row, like the form).
  // "Type de compte" and "Adresse mail" cannot change (kInvalidArgument with a
  // finding). "Compte(s) de connexion" among the changes replaces the whole list of
  // rights; absent, rights are left alone. Returns the stored account.
  Result<Account> UpdateAccount(const Actor& actor, int64_t account_id,
                                const FieldChanges& changes, std::vector<Finding>* findings);
  // Same, for a full row (the import): every field of `draft` replaces the stored one,
  // except kConnectionAccounts (rights are set separately with SetConnectionAccounts)
  // and kStructure. *changed tells whether anything differed. When given,
  // *connection_accounts receives the row's "Compte(s) de connexion" as validated
  // (lowercase addresses, without duplicates), ready for SetConnectionAccountsInTx.
  Result<Account> ReplaceAccountInTx(storage::Tx& tx, const Actor& actor, const Account& current,
                                     const AccountDraft& draft, Channel channel,
                                     std::vector<Finding>* findings, bool* changed,
                                     std::vector<std::string>* connection_accounts = nullptr);

  // Disables (reason "admin") or re-enables an account. Re-enabling restores the
  // status it had before: active when a password is set, else pending.
  Status SetDisabled(const Actor& actor, int64_t account_id, bool disabled);

  // Finds an account the actor may see, by id or by address (kNotFound otherwise —
  // the same answer whether it does not exist or is out of the actor's scope).
  Result<Account> GetAccount(const Actor& actor, int64_t id);
  Result<Account> GetAccountByAddress(const Actor& actor, std::string_view address);
  // Lists accounts within the actor's scope (filter.structure_ids is intersected).
  Result<std::vector<Account>> ListAccounts(const Actor& actor, AccountFilter filter);

  // One page of structure `structure_id`'s accounts for the administration list,
  // with the total of matching accounts. kPermissionDenied unless the actor
  // administers the structure; kInvalidArgument for a prefix that is not UTF-8.
  Result<AccountPage> ListAccountPage(const Actor& actor, AccountPageQuery query);
  // When the account's person last signed in (microseconds, 0: never); kNotFound
  // as GetAccount.
  Result<int64_t> LastSignIn(const Actor& actor, int64_t account_id);

  // Autocomplete (at most 50): administrators search their structures; a person that
  // administers nothing searches the accounts visible in the directory.
  Result<std::vector<Account>> Search(const Actor& actor, std::string_view prefix,
                                      bool only_nominative, int limit = 50);

  static constexpr int kSuggestDefaultLimit = 10;
  static constexpr int kSuggestMaxLimit = 20;
  static constexpr size_t kSuggestMinChars = 2;
  // Recipient suggestions for any signed-in person (or the operator): the accounts
  // of every structure visible in the directory and not disabled whose address,
  // NOM or Prénom starts with the words of `query` (case and accents ignored, no
  // wildcard), at most `limit` (capped to 1..kSuggestMaxLimit). kInvalidArgument
  // (French) when `query` is not UTF-8 or has fewer than kSuggestMinChars
  // characters once trimmed; kPermissionDenied for a system actor.
  Result<std::vector<DirectorySuggestion>> SuggestRecipients(const Actor& actor,
                                                             std::string_view query,
                                                             int limit = kSuggestDefaultLimit);

  // ---- Connection rights ----

  // Grants nominative account `person_id` the right to open ORG/APP `mailbox_id`
  // (a pending person may receive it: DESIGN.md rule 5). Idempotent. Refused with
  // kInvalidArgument (French message) for any other pair of types.
  Status GrantRight(const Actor& actor, int64_t mailbox_id, int64_t person_id);
  // Grants many rights in one transaction (bulk). Stops at the first refusal with
  // nothing written. Returns how many were new.
  Result<int64_t> GrantRights(const Actor& actor,
                              const std::vector<std::pair<int64_t, int64_t>>& mailbox_person);
  // Revokes a right; a person whose default mailbox was that one gets itself back as
  // default in the same transaction. kNotFound when there was no such right.
  Status RevokeRight(const Actor& actor, int64_t mailbox_id, int64_t person_id);
  // Makes the rights on `mailbox_id` exactly `addresses` (the "Compte(s) de connexion"
  // cell). Unknown or non-nominative addresses are findings on that column and nothing
  // is changed. *granted and *revoked count the changes.
  Status SetConnectionAccountsInTx(storage::Tx& tx, const Actor& actor, const Account& mailbox,
                                   const std::vector<std::string>& addresses,
                                   std::vector<Finding>* findings, int64_t* granted,
                                   int64_t* revoked);
  // Rights on a mailbox (persons) or of a person (mailboxes), as accounts.
  Result<std::vector<Account>> PersonsWithRight(const Actor& actor, int64_t mailbox_id);
  Result<std::vector<Account>> MailboxesOfPerson(const Actor& actor, int64_t person_id);

  // ---- Default mailbox ----

  // Sets the mailbox `person_id` lands in after sign-in: itself, or an ORG/APP it
  // holds a right on. Allowed to the person itself and to its administrators.
  Status SetDefaultMailbox(const Actor& actor, int64_t person_id, int64_t mailbox_id);

  // ---- Expiry ----

  // Disables every account whose "Date de péremption" is today or past (server's
  // local date, from the clock). Returns the number disabled. Operator or system.
  Result<int64_t> ExpireAccounts(const Actor& actor);

  // ---- Helpers shared with the import ----

  // The stored column values of an account as a FieldValues row, with
  // kConnectionAccounts filled from its rights (ORG/APP) and kStructure with the
  // structure's name.
  Result<FieldValues> RowOf(storage::Tx& tx, const Account& account);

  storage::Database& db() { return db_; }
  DirectoryRepository& repo() { return repo_; }
  audit::AuditLog& audit() { return audit_; }
  const ReferenceData& reference() const { return ref_; }
  const Clock& clock() const { return clock_; }

  // An audit entry caused by `actor`: its person, label and IP, and its user
  // agent added to `detail` (a JSON object). For callers that append their own
  // entries in the service's transaction (the importer's import.applied).
  audit::Event MakeEvent(const Actor& actor, std::string action, std::string object,
                         int64_t mailbox_id, std::string detail) const;

 private:
  Status RequireOperator(storage::Tx& tx, const Actor& actor);
  Status RequireAdministers(storage::Tx& tx, const Actor& actor, int64_t structure_id);
  Result<Account> LoadInScope(storage::Tx& tx, const Actor& actor, int64_t id);
  Status GrantRightInTx(storage::Tx& tx, const Actor& actor, const Scope& scope,
                        const AccountBrief& mailbox, const AccountBrief& person,
                        std::vector<audit::Event>* events, bool* inserted);
  Status RevokeRightInTx(storage::Tx& tx, const Actor& actor, const AccountBrief& mailbox,
                         const AccountBrief& person, std::vector<audit::Event>* events);
  Status FillMssAddress(storage::Tx& tx, const Structure& structure, Account& account,
                        bool asked, std::vector<Finding>* findings);
  storage::Database& db_;
  DirectoryRepository& repo_;
  audit::AuditLog& audit_;
  const ReferenceData& ref_;
  const Clock& clock_;
};

// The audit "object" naming an account ("account:42").
std::string AccountObject(int64_t id);

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_DIRECTORY_SERVICE_H_
