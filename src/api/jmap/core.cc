// File: api/jmap/core.cc
//
// Core/echo (RFC 8620 §4): answers its arguments unchanged, so that a client can
// test its connection and authentication.
#include "api/jmap/method.h"

namespace caduce::api::jmap {

void RegisterCoreMethods(MethodRegistry& registry) {
  MethodSpec echo;
  echo.name = "Core/echo";
  echo.capability = proto::jmap::kCoreCapability;
  echo.needs_account = false;
  echo.handler = [](CallContext&, const boost::json::object& args) -> MethodOutcome {
    return boost::json::object(args);
  };
  (void)registry.Add(std::move(echo));
}

}  // namespace caduce::api::jmap
