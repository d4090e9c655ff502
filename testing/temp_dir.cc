// Temporary directories for tests.
#include "testing/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace caduce::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/caduce-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string DataDir() {
  const char* d = std::getenv("CADUCE_DATA_DIR");
  if (d && *d) return d;
  return CADUCE_TESTING_DATA_DIR;
}

}  // namespace caduce::testing
