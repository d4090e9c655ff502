// GET /api/directory/suggestions over real HTTP on loopback against a real
// SQLite file (api/directory_suggest.cc, DirectoryService::SuggestRecipients,
// the SQLite search terms): what a person writing a mail is offered from the
// directory. Visible accounts of every structure, never invisible or disabled
// ones, never a field beyond name, address, type and structure; accents and case
// ignored; `%`, `_` and quotes taken literally; the limit capped; no session,
// a short q and a hostile limit refused; a person past 60 searches a minute made
// to wait.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "http/router.h"
#include "http/server.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::api {
namespace {

using directory::Account;
using directory::Field;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kPassword[] = "Le chat boit du thé à 7h";
constexpr char kLyonPhone[] = "0478123456";
constexpr char kLyonRpps[] = "10001234565";

class DirectorySuggestTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  DirectorySuggestTest() : ServiceStack({.common_passwords = false}) {
    toulouse_ = MakeStructure("CHU de Toulouse");
    lyon_ = MakeStructure("HCL Lyon");
    // The person who searches: not visible itself, administers nothing.
    searcher_ = Create(caduce::testing::PersonDraft("MED", "secretaire@chu-toulouse.fr", "Petit",
                                                    "Claire"),
                       toulouse_, false);
    Activate(searcher_);
    Create(caduce::testing::PersonDraft("PER", "eloise.lefevre@chu-toulouse.fr", "Lefèvre",
                                        "Éloïse"),
           toulouse_, true);
    Create(caduce::testing::PersonDraft("PER", "elodie.lemoine@chu-toulouse.fr", "Lemoine",
                                        "Élodie"),
           toulouse_, false);
    Account gone = Create(
        caduce::testing::PersonDraft("MED", "elea.lebrun@chu-toulouse.fr", "Lebrun", "Éléa"),
        toulouse_, true);
    EXPECT_OK(directory_->SetDisabled(op_, gone.id, true));
    Create(caduce::testing::SharedDraft("ORG", "cardio@chu-toulouse.fr",
                                        searcher_.address(), "Secrétariat de cardiologie"),
           toulouse_, true);
    directory::AccountDraft lyon = caduce::testing::PersonDraft(
        "PER", "emile.lenoir@hcl-lyon.fr", "Lenoir", "Émile");
    caduce::testing::SetField(lyon, Field::kTelephone1, kLyonPhone);
    caduce::testing::SetField(lyon, Field::kRpps, kLyonRpps);
    Create(lyon, lyon_, true);

    http::Router router;
    AdminServices services;
    services.directory = directory_.get();
    services.work_dir = dir_.File("work");
    EXPECT_OK(AddApiRoutes(router, *auth_, services));
    server_ = Serve(std::move(router));
    cookies_ = SignIn(searcher_);
  }
  ~DirectorySuggestTest() override {
    if (server_) server_->Stop();
  }

  Account Create(const directory::AccountDraft& d, int64_t structure, bool visible) {
    std::vector<directory::Finding> findings;
    directory::CreateOptions options;
    options.visible_in_directory = visible;
    auto r = directory_->CreateAccount(op_, structure, d, options, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Account{};
  }
  void Activate(const Account& a) { ServiceStack::Activate(a, kPassword); }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& extra_headers = "", const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: suggest-test/1.0\r\nConnection: close\r\n" + extra_headers;
    if (method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    std::optional<HttpResponse> r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r.value_or(HttpResponse{});
  }
  std::string SignIn(const Account& a) {
    boost::json::object o{{"address", a.address()}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", "", boost::json::serialize(o));
    EXPECT_EQ(r.status, 200) << r.body;
    return "Cookie: caduce_session=" + CookieOf(r.SetCookie("caduce_session")) + "\r\n";
  }
  HttpResponse Suggest(const std::string& query) {
    return Send("GET", "/api/directory/suggestions?" + query, cookies_);
  }
  // The addresses suggested for `query`, in order; fails the test on a non-200.
  std::vector<std::string> Addresses(const std::string& query) {
    HttpResponse r = Suggest(query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    boost::json::value v = r.Json();
    if (!v.is_object() || !v.as_object().contains("items")) return out;
    for (const boost::json::value& item : v.at("items").as_array()) {
      out.emplace_back(item.at("address").as_string());
    }
    return out;
  }
  static std::string Detail(const HttpResponse& r) {
    boost::json::value v = r.Json();
    return v.is_object() && v.as_object().contains("detail")
               ? std::string(v.at("detail").as_string())
               : std::string();
  }

  int64_t toulouse_ = 0, lyon_ = 0;
  Account searcher_;
  std::string cookies_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(DirectorySuggestTest, VisibleAccountsAreSuggestedInvisibleAndDisabledOnesNever) {
  // "el" starts Éloïse, Élodie (invisible) and Éléa (disabled): only Éloïse.
  EXPECT_THAT(Addresses("q=el"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
  // Each hidden account by its own name or address: nothing at all.
  EXPECT_THAT(Addresses("q=lemoine"), IsEmpty());
  EXPECT_THAT(Addresses("q=elodie.lemoine%40chu-toulouse.fr"), IsEmpty());
  EXPECT_THAT(Addresses("q=lebrun"), IsEmpty());
  EXPECT_THAT(Addresses("q=elea"), IsEmpty());
  // The searcher is not visible: not even itself.
  EXPECT_THAT(Addresses("q=petit"), IsEmpty());
}

TEST_F(DirectorySuggestTest, AnswersNameAddressTypeLabelAndStructureOnly) {
  HttpResponse r = Suggest("q=le");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  boost::json::value v = r.Json();
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().size(), 1u) << r.body;
  const boost::json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << r.body;
  // Ordered by the matching term: "lefevre" before "lenoir".
  EXPECT_EQ(boost::json::serialize(items[0]),
            boost::json::serialize(boost::json::object{
                {"name", "Éloïse LEFÈVRE"},
                {"address", "eloise.lefevre@chu-toulouse.fr"},
                {"type", "PER"},
                {"typeLabel", "Personne"},
                {"structure", "CHU de Toulouse"}}));
  // Another structure's visible account is found (the directory is the
  // instance's), without its RPPS, phone, status or anything else.
  EXPECT_EQ(items[1].at("address").as_string(), "emile.lenoir@hcl-lyon.fr");
  EXPECT_EQ(items[1].at("structure").as_string(), "HCL Lyon");
  EXPECT_EQ(items[1].as_object().size(), 5u);
  EXPECT_THAT(r.body, Not(HasSubstr(kLyonPhone)));
  EXPECT_THAT(r.body, Not(HasSubstr("78 12 34 56")));
  EXPECT_THAT(r.body, Not(HasSubstr(kLyonRpps)));
  EXPECT_THAT(r.body, Not(HasSubstr("active")));
  EXPECT_THAT(r.body, Not(HasSubstr("\"id\"")));
}

TEST_F(DirectorySuggestTest, SharedMailboxIsNamedByItsDescription) {
  HttpResponse r = Suggest("q=cardio");
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::value v = r.Json();
  const boost::json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << r.body;
  EXPECT_EQ(items[0].at("name").as_string(), "Secrétariat de cardiologie");
  EXPECT_EQ(items[0].at("type").as_string(), "ORG");
  EXPECT_EQ(items[0].at("typeLabel").as_string(), "Boîte organisationnelle");
}

TEST_F(DirectorySuggestTest, AccentsAndCaseAreIgnored) {
  EXPECT_THAT(Addresses("q=ELOI"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
  EXPECT_THAT(Addresses("q=%C3%A9lo%C3%AFse"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
  EXPECT_THAT(Addresses("q=LEF%C3%88VRE"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
  EXPECT_THAT(Addresses("q=emile%20len"), ElementsAre("emile.lenoir@hcl-lyon.fr"));
  EXPECT_THAT(Addresses("q=lenoir%20%C3%A9m"), ElementsAre("emile.lenoir@hcl-lyon.fr"));
  EXPECT_THAT(Addresses("q=%20%20Lefevre%20%20"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
}

TEST_F(DirectorySuggestTest, SqlAndLikeMetacharactersAreTakenLiterally) {
  Create(caduce::testing::PersonDraft("MED", "anne.obrien@chu-toulouse.fr", "O'Brien", "Anne"),
         toulouse_, true);
  Create(caduce::testing::PersonDraft("MED", "pct_50@chu-toulouse.fr", "Centpour", "Paul"),
         toulouse_, true);
  EXPECT_THAT(Addresses("q=o'b"), ElementsAre("anne.obrien@chu-toulouse.fr"));
  EXPECT_THAT(Addresses("q=O%27Brien"), ElementsAre("anne.obrien@chu-toulouse.fr"));
  EXPECT_THAT(Addresses("q=pct_"), ElementsAre("pct_50@chu-toulouse.fr"));
  // Wildcards of LIKE match nothing: no account starts with them.
  EXPECT_THAT(Addresses("q=%25%25"), IsEmpty());
  EXPECT_THAT(Addresses("q=__"), IsEmpty());
  EXPECT_THAT(Addresses("q=e%25"), IsEmpty());
  EXPECT_THAT(Addresses("q=p_t"), IsEmpty());
  EXPECT_THAT(Addresses("q=%27%20OR%201%3D1%20--"), IsEmpty());
  EXPECT_THAT(Addresses("q=%27%3B%20DROP%20TABLE%20accounts%3B%20--"), IsEmpty());
  // Still there after the hostile queries.
  EXPECT_THAT(Addresses("q=lef"), ElementsAre("eloise.lefevre@chu-toulouse.fr"));
}

TEST_F(DirectorySuggestTest, TenByDefaultTwentyAtMost) {
  for (int i = 0; i < 25; ++i) {
    std::string n = std::to_string(100 + i);
    Create(caduce::testing::PersonDraft("MED", "m" + n + "@chu-toulouse.fr", "Martin", "Jean"),
           toulouse_, true);
  }
  EXPECT_EQ(Addresses("q=martin").size(), 10u);
  EXPECT_EQ(Addresses("q=martin&limit=3").size(), 3u);
  EXPECT_EQ(Addresses("q=martin&limit=20").size(), 20u);
  EXPECT_EQ(Addresses("q=martin&limit=21").size(), 20u);
  EXPECT_EQ(Addresses("q=martin&limit=1000000").size(), 20u);
  EXPECT_EQ(Addresses("q=martin&limit=99999999999999999999999").size(), 20u);
  // Each account once, although "martin" starts three of its terms.
  std::vector<std::string> all = Addresses("q=martin&limit=20");
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
  for (const char* bad : {"0", "-1", "abc", "", "5x", "1e3"}) {
    HttpResponse r = Suggest(std::string("q=martin&limit=") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_THAT(Detail(r), HasSubstr("limit")) << bad;
  }
}

TEST_F(DirectorySuggestTest, ShortOrMissingQueryIsRefusedInFrench) {
  for (const char* q : {"q=a", "q=", "q=%20%20a%20", "q=%C3%A9", ""}) {
    HttpResponse r = Suggest(q);
    EXPECT_EQ(r.status, 400) << q << ": " << r.body;
    EXPECT_THAT(Detail(r), HasSubstr("au moins 2 caractères")) << q;
  }
  HttpResponse bad = Suggest("q=%FF%FE");
  EXPECT_EQ(bad.status, 400) << bad.body;
  for (const char* q : {"q=ab%00", "q=ab%0Acd", "q=%1B%5B31m"}) {
    HttpResponse control = Suggest(q);
    EXPECT_EQ(control.status, 400) << q << ": " << control.body;
  }
  // Two letters, one of them accented, are enough.
  EXPECT_THAT(Addresses("q=%C3%A9m"), ElementsAre("emile.lenoir@hcl-lyon.fr"));
}

TEST_F(DirectorySuggestTest, NoSessionIsRefused) {
  HttpResponse r = Send("GET", "/api/directory/suggestions?q=lef");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_THAT(r.body, Not(HasSubstr("lefevre")));
  HttpResponse forged =
      Send("GET", "/api/directory/suggestions?q=lef", "Cookie: caduce_session=forged\r\n");
  EXPECT_EQ(forged.status, 401) << forged.body;
  // Signed out: the old cookie no longer reads the directory.
  std::string csrf;
  {
    boost::json::object o{{"address", searcher_.address()}, {"password", kPassword}};
    HttpResponse in = Send("POST", "/api/session", "", boost::json::serialize(o));
    ASSERT_EQ(in.status, 200);
    std::string session = CookieOf(in.SetCookie("caduce_session"));
    csrf = CookieOf(in.SetCookie("caduce_csrf"));
    std::string cookie = "Cookie: caduce_session=" + session + "\r\n";
    EXPECT_EQ(Send("DELETE", "/api/session", cookie + "X-CSRF-Token: " + csrf + "\r\n").status,
              204);
    EXPECT_EQ(Send("GET", "/api/directory/suggestions?q=lef", cookie).status, 401);
  }
}

TEST_F(DirectorySuggestTest, SixtySearchesAMinuteThenWait) {
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(Suggest("q=lef").status, 200) << i;
  }
  HttpResponse r = Suggest("q=lef");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.Header("Retry-After").empty());
  EXPECT_LE(std::stoi(r.Header("Retry-After")), 60);
  EXPECT_THAT(Detail(r), HasSubstr("patientez"));
  // Another person is not slowed down by the first.
  Account other = Create(
      caduce::testing::PersonDraft("MED", "autre@chu-toulouse.fr", "Autre", "Paul"), lyon_, false);
  Activate(other);
  std::string other_cookies = SignIn(other);
  EXPECT_EQ(Send("GET", "/api/directory/suggestions?q=lef", other_cookies).status, 200);
  clock_.AdvanceSeconds(61);
  EXPECT_EQ(Suggest("q=lef").status, 200);
}

}  // namespace
}  // namespace caduce::api
