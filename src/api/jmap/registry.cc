// File: api/jmap/registry.cc
//
// The list of JMAP method files and extra routes: each file of api/jmap/ that
// defines methods adds its Register…Methods call here, each that defines routes
// (blob upload and download) adds them to ExtraRoutes.
#include <memory>
#include <vector>

#include "api/jmap/method.h"
#include "api/jmap/writing.h"

namespace caduce::api::jmap {

Status RegisterAllMethods(MethodRegistry& registry) {
  MethodRegistry& r = registry;
  RegisterCoreMethods(r);
  RegisterMailboxMethods(r);
  RegisterThreadMethods(r);
  RegisterEmailReadMethods(r);
  RegisterIdentityMethods(r);
  RegisterEmailWriteMethods(r);
  RegisterSubmissionMethods(r);
  return registry.status();
}

std::vector<http::Route> ExtraRoutes(const std::shared_ptr<JmapContext>& ctx) {
  std::vector<http::Route> routes = BlobRoutes(ctx);
  return routes;
}

}  // namespace caduce::api::jmap
