// File: directory/model.h
//
// The directory's records: structures, accounts, connection rights, and the actor
// on whose behalf every change is made.
#ifndef CADUCE_DIRECTORY_MODEL_H_
#define CADUCE_DIRECTORY_MODEL_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "directory/fields.h"

namespace caduce::directory {

// An organisation (hospital, clinic, practice group).
struct Structure {
  int64_t id = 0;
  std::string name;       // unique, exact name used by the import's "Structure" column
  std::string id_type;    // "" or "1" FINESS, "2" SIREN, "3" SIRET (TRE_G07 codes)
  std::string id_value;   // the identifier, checked like "Identifiant structure resp"
  std::string mss_domain; // MSSanté mail domain ("" when none), lowercase
  int64_t created_at = 0; // microseconds since the epoch
};

enum class AccountStatus : uint8_t {
  kPending = 0,  // a person's account, created: the person has not set a password yet
  kActive,       // in service (an ORG/APP mailbox is active from its creation)
  kDisabled,
};
// "pending", "active", "disabled".
std::string_view AccountStatusName(AccountStatus s);
std::optional<AccountStatus> ParseAccountStatus(std::string_view s);

// An account (a mailbox and its owner's data). `fields` holds every column of
// FIELDS.md in its stored form (normalised by ValidateAccount), except
// kConnectionAccounts and kStructure, which are relations and stay empty here.
struct Account {
  int64_t id = 0;
  int64_t structure_id = 0;
  AccountType type = AccountType::kPer;
  AccountStatus status = AccountStatus::kPending;
  bool visible_in_directory = false;
  FieldValues fields;
  // The mailbox this nominative account lands in after sign-in: 0 means itself.
  int64_t default_mailbox_id = 0;
  // Why the account is disabled: "" or "admin" or "expired".
  std::string disabled_reason;
  // True once the person has set a password (auth/ sets it; read-only here).
  bool has_password = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  const std::string& address() const { return fields[FieldIndex(Field::kAddress)]; }
  const std::string& get(Field f) const { return fields[FieldIndex(f)]; }
  std::string& get(Field f) { return fields[FieldIndex(f)]; }
};

// The few columns that authorisation and rights need, read without the whole row
// (bulk paths: granting 100,000 rights reads 100,000 of these).
struct AccountBrief {
  int64_t id = 0;
  int64_t structure_id = 0;
  AccountType type = AccountType::kPer;
  std::string address;
  int64_t default_mailbox_id = 0;

  static AccountBrief Of(const Account& a) {
    return AccountBrief{a.id, a.structure_id, a.type, a.address(), a.default_mailbox_id};
  }
};

// Nominative account `person_id` may open ORG/APP mailbox `mailbox_id`.
struct ConnectionRight {
  int64_t mailbox_id = 0;
  int64_t person_id = 0;
  int64_t created_at = 0;
  std::string created_by;  // label of the actor who granted it
};

// What an actor may see and change.
struct Scope {
  bool all = false;                    // operator: every structure
  std::vector<int64_t> structure_ids;  // administered structures (sorted)

  bool Covers(int64_t structure_id) const;
  bool IsAdministrator() const { return all || !structure_ids.empty(); }
};

// Who is asking. Every service call names its actor; authorisation and the audit
// trail both read it.
struct Actor {
  enum class Kind : uint8_t {
    kOperator,  // the service operator: the `caduce` command line, or a person with the role
    kPerson,    // a signed-in person (administrator or not)
    kSystem,    // caduce itself (daily expiry)
  };
  Kind kind = Kind::kOperator;
  int64_t person_id = 0;  // the acting person's account id (kPerson, and kOperator when a person)
  std::string label;      // shown in traces: the person's address, or "operator (cli)"
  std::string ip;         // remote address, "" for the command line
  // The client's User-Agent header ("" for the command line); added to the detail
  // of every audit entry the actor causes.
  std::string user_agent;
  // The actor's scope, computed by DirectoryService::ScopeOf in the caller's own
  // transaction and kept for the rest of it (an import of 100,000 rows asks once).
  // Only code that called ScopeOf sets it; a request handler never does.
  std::optional<Scope> scope;

  Actor() = default;
  Actor(Kind k, int64_t person, std::string who, std::string remote_ip)
      : kind(k), person_id(person), label(std::move(who)), ip(std::move(remote_ip)) {}

  static Actor CommandLine() { return Actor(Kind::kOperator, 0, "operator (cli)", ""); }
  static Actor System() { return Actor(Kind::kSystem, 0, "caduce", ""); }
};

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_MODEL_H_
