// The pure parts of the image fetcher: which addresses a fetch may reach, which
// URLs are accepted, and which bytes count as an image. The fetches themselves
// are tested over real HTTP in tests/api/image_proxy_test.cc.
#include "fetch/remote_image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace caduce::fetch {
namespace {

using namespace std::string_literals;

TEST(RemoteImageTest, InsideAddressesAreRefused) {
  for (const char* a : {"127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254",
                        "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
                        "240.0.0.1", "192.0.2.10", "198.18.0.1", "198.51.100.7", "203.0.113.9",
                        "192.0.0.8", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
                        "fec0::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                        "::127.0.0.1", "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:7f00:1::1",
                        "2002:a00:1::", "2001:db8::1", "2001:0:4136:e378::1", "100::1"}) {
    EXPECT_FALSE(IsPublicAddressText(a)) << a;
  }
}

TEST(RemoteImageTest, PublicAddressesAreAllowed) {
  for (const char* a : {"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1",
                        "172.15.255.255", "172.32.0.1", "169.253.0.1", "2606:2800:220:1::248",
                        "2a00:1450:4007:80b::200e", "::ffff:93.184.216.34", "64:ff9b::808:808",
                        "2002:5db8:d822::1"}) {
    EXPECT_TRUE(IsPublicAddressText(a)) << a;
  }
  EXPECT_FALSE(IsPublicAddressText("localhost"));
  EXPECT_FALSE(IsPublicAddressText(""));
}

TEST(RemoteImageTest, OnlyWebPorts) {
  EXPECT_TRUE(IsAllowedPort(80));
  EXPECT_TRUE(IsAllowedPort(443));
  for (long p : {0L, 22L, 25L, 6379L, 8080L, 65535L, -1L}) EXPECT_FALSE(IsAllowedPort(p)) << p;
}

struct UrlCase {
  const char* url;
  FetchError error;
};

TEST(RemoteImageTest, UrlsAreCheckedBeforeAnyConnection) {
  const UrlCase cases[] = {
      {"", FetchError::kBadUrl},
      {"file:///etc/passwd", FetchError::kBadUrl},
      {"gopher://example.org/1", FetchError::kBadUrl},
      {"ftp://example.org/a.png", FetchError::kBadUrl},
      {"data:image/png;base64,AAAA", FetchError::kBadUrl},
      {"javascript:alert(1)", FetchError::kBadUrl},
      {"//example.org/a.png", FetchError::kBadUrl},
      {"/relative.png", FetchError::kBadUrl},
      {"https://user:secret@example.org/a.png", FetchError::kBadUrl},
      {"https://user@example.org/a.png", FetchError::kBadUrl},
      {"https://example.org/a b.png", FetchError::kBadUrl},
      {"https://example.org/a\r\nX-Injected: 1", FetchError::kBadUrl},
      {"https:///a.png", FetchError::kBadUrl},
      {"https:\\\\example.org\\a.png", FetchError::kBadUrl},
      {"https://example.org\\@127.0.0.1/a.png", FetchError::kBadUrl},
      {"http://127.0.0.1/a.png", FetchError::kRefused},
      {"http://[::1]/a.png", FetchError::kRefused},
      {"http://[::ffff:127.0.0.1]/a.png", FetchError::kRefused},
      {"http://10.0.0.1/a.png", FetchError::kRefused},
      {"http://169.254.169.254/latest/meta-data/", FetchError::kRefused},
      {"http://2130706433/a.png", FetchError::kRefused},  // 127.0.0.1 as one number
      {"http://0x7f.1/a.png", FetchError::kRefused},
      {"http://example.org:25/a.png", FetchError::kRefused},
      {"https://example.org:8443/a.png", FetchError::kRefused},
  };
  for (const UrlCase& c : cases) {
    std::string canonical, message;
    FetchError error = FetchError::kNone;
    EXPECT_FALSE(CheckUrl(c.url, false, &canonical, &error, &message)) << c.url;
    EXPECT_EQ(error, c.error) << c.url << " : " << message;
    EXPECT_FALSE(message.empty()) << c.url;
  }
  std::string long_url = "https://example.org/" + std::string(3000, 'a');
  std::string canonical, message;
  FetchError error = FetchError::kNone;
  EXPECT_FALSE(CheckUrl(long_url, false, &canonical, &error, &message));
  EXPECT_EQ(error, FetchError::kBadUrl);
}

TEST(RemoteImageTest, GoodUrlsAreCanonical) {
  std::string canonical, message;
  FetchError error = FetchError::kNone;
  ASSERT_TRUE(CheckUrl("HTTPS://Example.ORG:443/logo.png?v=2#frag", false, &canonical, &error,
                       &message))
      << message;
  EXPECT_EQ(canonical, "https://example.org/logo.png?v=2");
  // Tests only: loopback on any port.
  ASSERT_TRUE(CheckUrl("http://127.0.0.1:4567/a.png", true, &canonical, &error, &message));
  EXPECT_EQ(canonical, "http://127.0.0.1:4567/a.png");
}

// The fetcher's cache serves every reader: it keeps an image only as long as the
// origin lets a shared cache keep it.
TEST(RemoteImageTest, TheOriginsCacheDirectivesBoundHowLongAnImageIsKept) {
  using std::chrono::seconds;
  const auto now = std::chrono::system_clock::from_time_t(1795770000);  // 2026-11-27 09:00Z
  EXPECT_EQ(CacheLifetime("", "", now), std::nullopt);
  EXPECT_EQ(CacheLifetime("public", "", now), std::nullopt);
  EXPECT_EQ(CacheLifetime("max-age=600", "", now), seconds(600));
  EXPECT_EQ(CacheLifetime("public, Max-Age=\"60\"", "", now), seconds(60));
  EXPECT_EQ(CacheLifetime("max-age=600, s-maxage=30", "", now), seconds(30));
  EXPECT_EQ(CacheLifetime("s-maxage=30, max-age=600", "", now), seconds(30));
  for (const char* never : {"no-store", "no-cache", "private", "max-age=600, private",
                            "private=\"set-cookie\", max-age=600", "NO-STORE", "max-age=0",
                            "max-age=soon", "max-age=-5"}) {
    EXPECT_EQ(CacheLifetime(never, "", now), seconds(0)) << never;
  }
  EXPECT_EQ(CacheLifetime("max-age=99999999999999", "", now), seconds(365LL * 24 * 3600));
  // Expires counts only without max-age; in the past or not a date: not kept.
  EXPECT_EQ(CacheLifetime("", "Fri, 27 Nov 2026 09:10:00 GMT", now), seconds(600));
  EXPECT_EQ(CacheLifetime("", "Thu, 26 Nov 2026 09:00:00 GMT", now), seconds(0));
  EXPECT_EQ(CacheLifetime("", "0", now), seconds(0));
  EXPECT_EQ(CacheLifetime("max-age=60", "Fri, 27 Nov 2026 10:00:00 GMT", now), seconds(60));
}

TEST(RemoteImageTest, ImagesAreKnownByTheirFirstBytes) {
  EXPECT_EQ(SniffImageType("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s), "image/png");
  EXPECT_EQ(SniffImageType("\xff\xd8\xff\xe0\0\x10JFIF"s), "image/jpeg");
  EXPECT_EQ(SniffImageType("GIF89a\x01\0\x01\0"s), "image/gif");
  EXPECT_EQ(SniffImageType("GIF87a\x01\0\x01\0"s), "image/gif");
  EXPECT_EQ(SniffImageType("RIFF\x24\0\0\0WEBPVP8 "s), "image/webp");
  EXPECT_EQ(SniffImageType("\0\0\0\x18" "ftypavif\0\0\0\0avifmif1"s),
            "image/avif");
  EXPECT_EQ(SniffImageType("\0\0\0\x18" "ftypmif1\0\0\0\0mif1avif"s),
            "image/avif");
  EXPECT_EQ(SniffImageType("\0\0\0\x18" "ftypmp42\0\0\0\0isommp42"s), "");
  EXPECT_EQ(SniffImageType("\0\0\1\0\1\0\x10\x10"s), "image/x-icon");
  EXPECT_EQ(SniffImageType("\0\0\1\0\0\0"s), "");
  EXPECT_EQ(SniffImageType("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "");
  EXPECT_EQ(SniffImageType("<?xml version=\"1.0\"?><svg/>"), "");
  EXPECT_EQ(SniffImageType("<!DOCTYPE html><html>"), "");
  EXPECT_EQ(SniffImageType("\x89PN"), "");
  EXPECT_EQ(SniffImageType(""), "");
  EXPECT_EQ(SniffImageType("RIFF\x24\0\0\0WAVEfmt "s), "");
}

}  // namespace
}  // namespace caduce::fetch
