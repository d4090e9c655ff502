// File: testing/service_stack.h
//
// The service stack the API tests build over a real SQLite file: a temporary
// directory, a fake clock, the database, the reference data, the password policy,
// the audit log, the directory service, the sign-in service at minimal cost and
// the personal access tokens, plus helpers that create structures and persons and
// serve a router on loopback. A test fixture derives from it next to
// ::testing::Test and keeps the member names it always had. Test-only.
#ifndef CADUCE_TESTING_SERVICE_STACK_H_
#define CADUCE_TESTING_SERVICE_STACK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "audit/audit_log.h"
#include "auth/access_tokens.h"
#include "auth/password_policy.h"
#include "auth/sign_in.h"
#include "directory/directory_service.h"
#include "http/router.h"
#include "http/server.h"
#include "store_sqlite/access_token_repo.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace caduce::testing {

struct ServiceStackOptions {
  // Loads data/common-passwords.txt into the policy; otherwise the default policy.
  bool common_passwords = true;
};

class ServiceStack {
 public:
  explicit ServiceStack(ServiceStackOptions options = {});
  ServiceStack(const ServiceStack&) = delete;
  ServiceStack& operator=(const ServiceStack&) = delete;
  virtual ~ServiceStack();

  // A structure named `name` with MSSanté domain `domain` ("" for none); its id, 0
  // on failure (reported as a test failure).
  int64_t MakeStructure(const std::string& name, const std::string& domain = "");
  // The account of `draft` created in `structure` by the command line; an empty
  // account on failure.
  directory::Account CreateAccount(const directory::AccountDraft& draft, int64_t structure);
  // Activates the account with `password` through the activation mail's token.
  void Activate(int64_t account_id, const std::string& password);
  void Activate(const directory::Account& account, const std::string& password) {
    Activate(account.id, password);
  }
  // Serves `router` on an ephemeral loopback port with 2 workers and no static
  // files; null on failure.
  static std::unique_ptr<http::Server> Serve(http::Router router);

 protected:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository dir_repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  store_sqlite::SqliteAuthRepository auth_repo_;
  store_sqlite::SqliteAccessTokenRepository token_repo_;
  directory::ReferenceData ref_;
  auth::PasswordPolicy policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> directory_;
  std::unique_ptr<auth::SignInService> auth_;
  std::unique_ptr<auth::AccessTokenService> tokens_;
  directory::Actor op_ = directory::Actor::CommandLine();
};

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_SERVICE_STACK_H_
