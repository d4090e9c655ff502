// The bound on the parts of a message before GMime parses it (mail/mime.cc): the
// words "boundary" and "rfc822" count in any case, each occurrence once, together;
// and a delivery into a new blob folder and into an existing one both land on disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mail/blob_store.h"
#include "mail/mime.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::mail {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::HasSubstr;

std::string WithWords(const std::string& words) {
  return "From: a@b.fr\r\nTo: c@d.fr\r\nSubject: parties\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         words + "\r\n";
}

TEST(MimeLimitsTest, BoundaryAndRfc822CountTogetherInAnyCase) {
  MimeLimits limits;
  limits.max_parts = 6;
  // Six in all, in every case, one pair written back to back.
  std::string six = "BOUNDARY Boundary boundaryboundary RFC822 rFc822";
  EXPECT_THAT(ParseMessage(WithWords(six), limits), IsOk());
  EXPECT_THAT(ParseMessage(WithWords(six + " rfc822"), limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("6 parties")));
  EXPECT_THAT(ParseMessage(WithWords(six + " bOUNDARy"), limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("parties")));
  // Near misses and words cut by the end of the message count nothing.
  std::string misses = "boundar rfc82 b-oundary rfc 822 bboundar rrfc82";
  EXPECT_THAT(ParseMessage(WithWords(six + " " + misses), limits), IsOk());
  EXPECT_THAT(ParseMessage("Subject: x\r\n\r\n" + six + " bounda", limits), IsOk());
  EXPECT_THAT(ParseMessage("Subject: x\r\n\r\n" + six + " rfc82", limits), IsOk());
  // Bytes above 0x7f are not letters.
  EXPECT_THAT(ParseMessage(WithWords(six + " \xc2\xa0" "boundar\xc3\xa9"), limits), IsOk());
}

TEST(BlobStoreFoldersTest, BlobsLandInNewAndExistingFoldersAlike) {
  caduce::testing::TempDir dir;
  auto store = BlobStore::Open(dir.File("blobs"));
  ASSERT_TRUE(store.ok());
  for (int durable = 0; durable < 2; ++durable) {
    for (int i = 0; i < 300; ++i) {
      std::string bytes = "message " + std::to_string(durable) + "-" + std::to_string(i);
      std::string id = BlobStore::IdOf(bytes);
      ASSERT_THAT((*store)->Write(id, bytes, durable ? BlobStore::Durability::kSync
                                                     : BlobStore::Durability::kDeferred),
                  IsOk());
      ASSERT_OK_AND_ASSIGN(std::string back, (*store)->Read(id));
      EXPECT_EQ(back, bytes);
    }
  }
  ASSERT_THAT((*store)->Sync(), IsOk());
  // A folder removed behind the store's back is made again.
  std::string bytes = "again";
  std::string id = BlobStore::IdOf(bytes);
  ASSERT_THAT((*store)->Write(id, bytes, BlobStore::Durability::kSync), IsOk());
  std::filesystem::remove_all(dir.File("blobs") + "/" + id.substr(0, 2));
  EXPECT_FALSE((*store)->Exists(id));
  ASSERT_THAT((*store)->Write(id, bytes, BlobStore::Durability::kSync), IsOk());
  EXPECT_TRUE((*store)->Exists(id));
  // No temporary file is left anywhere.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.File("blobs"))) {
    EXPECT_EQ(e.path().filename().string().rfind(".tmp-", 0), std::string::npos) << e.path();
  }
}

// A store made with a folder per blob (<root>/ab/cd/<id>) is still read, found and
// cleaned; new blobs go to <root>/ab/<id>.
TEST(BlobStoreFoldersTest, BlobsOfTheOlderLayoutAreStillReadAndRemoved) {
  caduce::testing::TempDir dir;
  auto store = BlobStore::Open(dir.File("blobs"));
  ASSERT_TRUE(store.ok());
  std::string old_bytes = "Subject: written by an older caduce\r\n\r\nbody\r\n";
  std::string old_id = BlobStore::IdOf(old_bytes);
  std::string old_path = (*store)->LegacyPathOf(old_id);
  EXPECT_EQ(old_path, dir.File("blobs") + "/" + old_id.substr(0, 2) + "/" + old_id.substr(2, 2) +
                          "/" + old_id);
  std::filesystem::create_directories(std::filesystem::path(old_path).parent_path());
  {
    std::ofstream out(old_path, std::ios::binary);
    out << old_bytes;
  }
  EXPECT_TRUE((*store)->Exists(old_id));
  ASSERT_OK_AND_ASSIGN(std::string back, (*store)->Read(old_id));
  EXPECT_EQ(back, old_bytes);
  ASSERT_THAT((*store)->Remove(old_id), IsOk());
  EXPECT_FALSE(std::filesystem::exists(old_path));
  EXPECT_FALSE((*store)->Exists(old_id));
  EXPECT_EQ((*store)->Read(old_id).status().code(), Code::kNotFound);
  std::string bytes = "new layout";
  std::string id = BlobStore::IdOf(bytes);
  ASSERT_THAT((*store)->Write(id, bytes, BlobStore::Durability::kSync), IsOk());
  EXPECT_TRUE(std::filesystem::exists(dir.File("blobs") + "/" + id.substr(0, 2) + "/" + id));
  EXPECT_EQ((*store)->PathOf(id), dir.File("blobs") + "/" + id.substr(0, 2) + "/" + id);
}

}  // namespace
}  // namespace caduce::mail
