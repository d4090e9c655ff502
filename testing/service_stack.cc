#include "testing/service_stack.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "testing/status_matchers.h"

namespace caduce::testing {

ServiceStack::ServiceStack(ServiceStackOptions options) {
  store_sqlite::Options o;
  o.path = dir_.File("caduce.db");
  auto db = store_sqlite::SqliteDatabase::Open(o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(*db);
  auto ref = directory::ReferenceData::Load(DataDir());
  EXPECT_TRUE(ref.ok()) << ref.status().ToString();
  ref_ = std::move(*ref);
  if (options.common_passwords) {
    auto policy = auth::PasswordPolicy::WithCommonPasswords(DataDir() + "/common-passwords.txt");
    EXPECT_TRUE(policy.ok()) << policy.status().ToString();
    policy_ = std::move(*policy);
  }
  audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
  directory_ =
      std::make_unique<directory::DirectoryService>(*db_, dir_repo_, *audit_, ref_, clock_);
  auth::AuthOptions auth_options;
  auth_options.cost = auth::PasswordCost::Minimal();
  auth_ = std::make_unique<auth::SignInService>(*db_, auth_repo_, dir_repo_, *audit_, policy_,
                                                clock_, auth_options);
  tokens_ = std::make_unique<auth::AccessTokenService>(*db_, auth_repo_, token_repo_, dir_repo_,
                                                       *audit_, clock_);
}

ServiceStack::~ServiceStack() = default;

int64_t ServiceStack::MakeStructure(const std::string& name, const std::string& domain) {
  directory::Structure s;
  s.name = name;
  s.mss_domain = domain;
  std::vector<directory::Finding> findings;
  auto r = directory_->CreateStructure(op_, s, &findings);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->id : 0;
}

directory::Account ServiceStack::CreateAccount(const directory::AccountDraft& draft,
                                               int64_t structure) {
  std::vector<directory::Finding> findings;
  auto r = directory_->CreateAccount(op_, structure, draft, directory::CreateOptions{}, &findings);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : directory::Account{};
}

void ServiceStack::Activate(int64_t account_id, const std::string& password) {
  auto token = auth_->IssueActivation(account_id);
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  if (token.ok()) {
    EXPECT_OK(auth_->SetPassword(*token, password, "192.0.2.1", "test"));
  }
}

std::unique_ptr<http::Server> ServiceStack::Serve(http::Router router) {
  http::ServerOptions server_options;
  server_options.static_dir = "";
  server_options.worker_threads = 2;
  auto server = http::Server::Start(server_options, std::move(router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(*server) : nullptr;
}

}  // namespace caduce::testing
