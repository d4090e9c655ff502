// File: testing/temp_dir.h
//
// A fresh directory under the test temp dir, removed with everything in it when the
// object is destroyed (leveldb's fixtures under testing::TempDir()).
#ifndef CADUCE_TESTING_TEMP_DIR_H_
#define CADUCE_TESTING_TEMP_DIR_H_

#include <string>

namespace caduce::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The repository's data/ directory ($CADUCE_DATA_DIR, set by ctest).
std::string DataDir();

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_TEMP_DIR_H_
