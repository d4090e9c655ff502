// File: api/jmap/identity.cc
#include "api/jmap/method.h"

namespace caduce::api::jmap {

void RegisterIdentityMethods(MethodRegistry& registry) { (void)registry; }

}  // namespace caduce::api::jmap
