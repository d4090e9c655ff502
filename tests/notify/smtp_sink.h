// File: tests/notify/smtp_sink.h
//
// Test helpers for the mail tests: the real SMTP server of tests/notify/smtp_sink.py
// (python3-aiosmtpd) as a child process, and the reading of a mail file by Python's
// email package (tests/notify/parse_mail.py) as a mail client shows it.
// REQUIRES: CADUCE_NOTIFY_TEST_DIR names tests/notify.
#ifndef CADUCE_TESTS_NOTIFY_SMTP_SINK_H_
#define CADUCE_TESTS_NOTIFY_SMTP_SINK_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace caduce::testing {

inline const std::string kNotifyScripts = CADUCE_NOTIFY_TEST_DIR;

// A free TCP port on loopback (bound, read, closed).
inline uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool Accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Runs a command, returns its stdout.
inline std::string Capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// The SMTP server of the tests: smtp_sink.py as a child process.
class SmtpSink {
 public:
  SmtpSink(std::string dir, uint16_t port) : dir_(std::move(dir)), port_(port) {}
  ~SmtpSink() { Stop(); }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"/usr/bin/python3", kNotifyScripts + "/smtp_sink.py", "--port",
                                      std::to_string(port_), "--dir", dir_};
    for (auto& e : extra) args.push_back(e);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 200 && !Accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(Accepts(port_)) << "the SMTP test server did not start";
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = 0;
  }
  // Every DATA is answered with `reply` ("" back to 250).
  void Reply(const std::string& reply) {
    if (reply.empty()) {
      std::filesystem::remove(dir_ + "/reply");
    } else {
      std::ofstream(dir_ + "/reply") << reply;
    }
  }
  // The received mails, in order.
  std::vector<std::string> Mails() const {
    std::vector<std::string> out;
    for (int i = 1; std::filesystem::exists(dir_ + "/" + std::to_string(i) + ".eml"); ++i) {
      out.push_back(dir_ + "/" + std::to_string(i) + ".eml");
    }
    return out;
  }
  boost::json::object Envelope(int n) const {
    std::ifstream in(dir_ + "/" + std::to_string(n) + ".json");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return boost::json::parse(s).as_object();
  }
  uint16_t port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  uint16_t port_;
  pid_t pid_ = 0;
};

// A mail as Python's email package reads it.
struct ParsedMail {
  boost::json::object o;
  std::string S(const char* k) const { return std::string(o.at(k).as_string()); }
  // The link token in the text part after `route` ("/#/activation/").
  std::string Token(const std::string& route) const {
    std::smatch m;
    std::string text = S("text");
    std::regex re(route + "([A-Za-z0-9_-]{43})");
    return std::regex_search(text, m, re) ? m[1].str() : "";
  }
};

inline ParsedMail Parse(const std::string& path) {
  std::string json = Capture("/usr/bin/python3 " + kNotifyScripts + "/parse_mail.py '" + path + "'");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  EXPECT_FALSE(ec) << "unparseable mail " << path << ": " << json;
  return ParsedMail{ec ? boost::json::object() : v.as_object()};
}

}  // namespace caduce::testing

#endif  // CADUCE_TESTS_NOTIFY_SMTP_SINK_H_
