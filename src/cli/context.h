// File: cli/context.h
//
// What every `caduce` command shares: the opened store, the services built on it,
// the actor the command acts as, and the output helpers (human French text, or JSON
// with --json). Exit codes: 0 done, 1 refused (the input or the actor's rights; the
// findings are printed), 2 usage error, 3 the service failed (database unavailable,
// corrupt, internal error).
#ifndef CADUCE_CLI_CONTEXT_H_
#define CADUCE_CLI_CONTEXT_H_

#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "audit/audit_log.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/directory_service.h"
#include "directory/reference_data.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"

namespace caduce::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;

struct GlobalOptions {
  std::string db_path = "var/caduce.db";
  std::string data_dir;  // "" → ReferenceData::DefaultDir()
  std::string as;        // act as this person (address) instead of the operator
  bool json = false;
};

class Context {
 public:
  // Opens the database (creating its directory and file when needed) and loads the
  // reference data. Prints the reason and returns nullptr on failure.
  static std::unique_ptr<Context> Open(const GlobalOptions& options, int* exit_code);

  directory::DirectoryService& directory() { return *service_; }
  store_sqlite::SqliteDatabase& db() { return *db_; }
  audit::AuditLog& audit() { return *audit_; }
  const directory::ReferenceData& reference() const { return ref_; }
  const directory::Actor& actor() const { return actor_; }
  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.json; }

  // Prints `status` (and the findings) and returns the exit code it maps to.
  int Fail(const Status& status, const std::vector<directory::Finding>& findings = {});
  // Prints a success: `json` with --json, else `text` (a line is added when missing).
  void Done(const boost::json::value& result, const std::string& text);

  // Findings a command gathers (validation of a row); printed by Runner on failure.
  std::vector<directory::Finding> findings;
  // Prints warnings (after a success).
  void PrintFindings(const std::vector<directory::Finding>& findings);
  // Prints a JSON value on stdout (pretty enough for a terminal, one line).
  void PrintJson(const boost::json::value& v);

  // An account as JSON (every field by its key, with the structure's name).
  boost::json::object AccountJson(const directory::Account& a);
  // The account named by address, within the actor's scope.
  Result<directory::Account> AccountByAddress(const std::string& address);
  // The structure named S, or the actor's only structure when S is empty.
  Result<directory::Structure> StructureByName(const std::string& name);

 private:
  Context() = default;
  GlobalOptions options_;
  directory::ReferenceData ref_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository directory_repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> service_;
  directory::Actor actor_ = directory::Actor::CommandLine();
};

// Maps a status code to an exit code (1 for a refusal, 3 for a failure).
int ExitCodeFor(const Status& status);

// "[CP] message" lines with ERREUR / ATTENTION, or a JSON array of findings.
boost::json::array FindingsJson(const std::vector<directory::Finding>& findings);

}  // namespace caduce::cli

#endif  // CADUCE_CLI_CONTEXT_H_
