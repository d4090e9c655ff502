// Tests of the JMAP codec (proto/jmap/jmap.h): request parsing and its limits,
// result references with "*" paths, hostile shapes, ids, states and dates.
#include "proto/jmap/jmap.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

namespace caduce::proto::jmap {
namespace {

namespace json = boost::json;

std::optional<Request> Parse(std::string_view body, RequestError* e, Limits limits = {}) {
  return ParseRequest(body, limits, e);
}

TEST(ParseRequestTest, AcceptsARequestWithCreatedIds) {
  RequestError e;
  auto r = Parse(R"({"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"a":1},"c1"]],
                    "createdIds":{"k1":"M4"}})",
                 &e);
  ASSERT_TRUE(r) << e.detail;
  ASSERT_EQ(r->calls.size(), 1u);
  EXPECT_EQ(r->calls[0].name, "Core/echo");
  EXPECT_EQ(r->calls[0].call_id, "c1");
  EXPECT_EQ(r->calls[0].arguments.at("a").as_int64(), 1);
  ASSERT_TRUE(r->created_ids);
  EXPECT_EQ(r->created_ids->at("k1").as_string(), "M4");
}

TEST(ParseRequestTest, NotJsonNotRequestAndLimits) {
  RequestError e;
  EXPECT_FALSE(Parse("{\"using\":[", &e));
  EXPECT_EQ(e.type, kErrorNotJson);
  EXPECT_FALSE(Parse("\xff\xfe", &e));
  EXPECT_EQ(e.type, kErrorNotJson);
  EXPECT_FALSE(Parse("[1,2]", &e));
  EXPECT_EQ(e.type, kErrorNotRequest);
  EXPECT_FALSE(Parse(R"({"using":"x","methodCalls":[]})", &e));
  EXPECT_EQ(e.type, kErrorNotRequest);
  EXPECT_FALSE(Parse(R"({"using":[],"methodCalls":[["a",{},"c",1]]})", &e));
  EXPECT_EQ(e.type, kErrorNotRequest);
  EXPECT_FALSE(Parse(R"({"using":[],"methodCalls":[["a",[],"c"]]})", &e));
  EXPECT_EQ(e.type, kErrorNotRequest);
  EXPECT_FALSE(Parse(R"({"using":[],"methodCalls":[],"createdIds":{"k":"bad id!"}})", &e));
  EXPECT_EQ(e.type, kErrorNotRequest);

  // Deep nesting is refused by the parser, without recursion in our code.
  std::string deep = R"({"using":[],"methodCalls":[["Core/echo",{"x":)" + std::string(10000, '[') +
                     std::string(10000, ']') + R"(},"c"]]})";
  EXPECT_FALSE(Parse(deep, &e));
  EXPECT_EQ(e.type, kErrorNotJson);

  Limits small;
  small.max_calls_in_request = 2;
  EXPECT_FALSE(Parse(R"({"using":[],"methodCalls":[["a",{},"1"],["a",{},"2"],["a",{},"3"]]})", &e,
                     small));
  EXPECT_EQ(e.type, kErrorLimit);
  EXPECT_EQ(e.limit, "maxCallsInRequest");
  EXPECT_EQ(e.ToJson().at("limit").as_string(), "maxCallsInRequest");

  small.max_size_request = 100;
  std::string big = R"({"using":[],"methodCalls":[["Core/echo",{"x":")" + std::string(200, 'a') +
                    R"("},"c"]]})";
  EXPECT_FALSE(Parse(big, &e, small));
  EXPECT_EQ(e.type, kErrorLimit);
  EXPECT_EQ(e.limit, "maxSizeRequest");
}

TEST(ParseRequestTest, UnknownCapability) {
  RequestError e;
  auto r = Parse(R"({"using":["urn:ietf:params:jmap:core","urn:x:nope"],"methodCalls":[]})", &e);
  ASSERT_TRUE(r);
  auto err = CheckCapabilities(*r, {kCoreCapability, kMailCapability});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->type, kErrorUnknownCapability);
  EXPECT_NE(err->detail.find("urn:x:nope"), std::string::npos);
}

TEST(PointerTest, StarFlattensArrays) {
  json::value v = json::parse(
      R"({"list":[{"id":"M1","threadId":"T1","ids":["a","b"]},{"id":"M2","threadId":"T2","ids":["c"]}],
          "a/b":{"m~n":5}})");
  EXPECT_EQ(json::serialize(*EvaluatePointer(v, "/list/*/id")), R"(["M1","M2"])");
  EXPECT_EQ(json::serialize(*EvaluatePointer(v, "/list/*/ids")), R"(["a","b","c"])");
  EXPECT_EQ(json::serialize(*EvaluatePointer(v, "/list/1/threadId")), R"("T2")");
  EXPECT_EQ(EvaluatePointer(v, "/a~1b/m~0n")->as_int64(), 5);
  EXPECT_FALSE(EvaluatePointer(v, "/list/2/id"));
  EXPECT_FALSE(EvaluatePointer(v, "/list/01"));
  EXPECT_FALSE(EvaluatePointer(v, "/list/*/nope"));
  EXPECT_FALSE(EvaluatePointer(v, "/missing"));
  EXPECT_FALSE(EvaluatePointer(v, "list"));
  EXPECT_FALSE(EvaluatePointer(v, "/a~2b"));
  EXPECT_FALSE(EvaluatePointer(v, "/a~1b/m~0n/deeper"));
}

TEST(ReferenceTest, ResolvesBackwardsOnly) {
  std::vector<Invocation> responses;
  responses.push_back(Invocation{"Email/query", json::parse(R"({"ids":["M3","M2"]})").as_object(),
                                 "q"});
  json::object args = json::parse(
                          R"({"accountId":"A1","#ids":{"resultOf":"q","name":"Email/query","path":"/ids"}})")
                          .as_object();
  EXPECT_FALSE(ResolveReferences(args, responses));
  EXPECT_EQ(json::serialize(args.at("ids")), R"(["M3","M2"])");
  EXPECT_FALSE(args.contains("#ids"));

  // A reference to itself or to a later call: no earlier response has that id.
  json::object self = json::parse(
                          R"({"#ids":{"resultOf":"g","name":"Email/get","path":"/list/*/id"}})")
                          .as_object();
  auto e = ResolveReferences(self, responses);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "invalidResultReference");

  json::object wrong_name = json::parse(
                                R"({"#ids":{"resultOf":"q","name":"Email/get","path":"/ids"}})")
                                .as_object();
  EXPECT_EQ(ResolveReferences(wrong_name, responses)->type, "invalidResultReference");
  json::object bad_path = json::parse(
                              R"({"#ids":{"resultOf":"q","name":"Email/query","path":"/nope"}})")
                              .as_object();
  EXPECT_EQ(ResolveReferences(bad_path, responses)->type, "invalidResultReference");
  json::object both = json::parse(
                          R"({"ids":[],"#ids":{"resultOf":"q","name":"Email/query","path":"/ids"}})")
                          .as_object();
  EXPECT_EQ(ResolveReferences(both, responses)->type, "invalidArguments");
  json::object malformed = json::parse(R"({"#ids":"q/ids"})").as_object();
  EXPECT_EQ(ResolveReferences(malformed, responses)->type, "invalidArguments");
}

TEST(ErrorTest, MethodErrorInvocation) {
  Invocation i = UnknownMethod("Foo/bar").ToInvocation("c7");
  EXPECT_EQ(i.name, "error");
  EXPECT_EQ(i.call_id, "c7");
  EXPECT_EQ(i.arguments.at("type").as_string(), "unknownMethod");
  json::object r = ResponseJson({i}, "12", std::nullopt);
  EXPECT_EQ(r.at("sessionState").as_string(), "12");
  EXPECT_FALSE(r.contains("createdIds"));
}

TEST(IdTest, EncodeDecodeAndHostileIds) {
  EXPECT_EQ(EncodeId(kEmailKind, 42), "M42");
  EXPECT_EQ(DecodeId(kEmailKind, "M42"), 42);
  EXPECT_FALSE(DecodeId(kEmailKind, "F42"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M0"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M042"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M-1"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M99999999999999999999"));
  EXPECT_FALSE(DecodeId(kEmailKind, "M1 "));
  EXPECT_TRUE(IsValidId("M42"));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId(std::string(256, 'a')));
  EXPECT_EQ(DecodeState("0"), 0);
  EXPECT_EQ(DecodeState(EncodeState(77)), 77);
  EXPECT_FALSE(DecodeState("x"));
  EXPECT_FALSE(DecodeState("-3"));
}

TEST(ArgTest, IntegersAndDates) {
  json::object a = json::parse(R"({"n":5,"neg":-1,"big":9007199254740993,"s":"x","f":1.5})")
                       .as_object();
  bool bad = false;
  EXPECT_EQ(IntArg(a, "n", 0, &bad), 5);
  EXPECT_EQ(IntArg(a, "missing", 7, &bad), 7);
  EXPECT_FALSE(bad);
  IntArg(a, "neg", 0, &bad);
  EXPECT_TRUE(bad);
  bad = false;
  EXPECT_EQ(IntArg(a, "neg", 0, &bad, true), -1);
  EXPECT_FALSE(bad);
  IntArg(a, "big", 0, &bad);
  EXPECT_TRUE(bad);
  bad = false;
  IntArg(a, "f", 0, &bad);
  EXPECT_TRUE(bad);

  EXPECT_EQ(UtcDate(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(ParseUtcDate("2026-11-27T10:15:00Z"), 1795774500LL * 1'000'000);
  EXPECT_EQ(ParseUtcDate("2026-11-27T10:15:00.5Z"), 1795774500LL * 1'000'000 + 500'000);
  EXPECT_EQ(UtcDate(*ParseUtcDate("2026-11-27T10:15:00Z")), "2026-11-27T10:15:00Z");
  EXPECT_FALSE(ParseUtcDate("2026-11-27 10:15:00Z"));
  EXPECT_FALSE(ParseUtcDate("2026-13-27T10:15:00Z"));
  EXPECT_FALSE(ParseUtcDate("2026-11-27T10:15:00+01:00"));
  EXPECT_FALSE(ParseUtcDate("2026-11-27T10:15:00.Z"));
}

}  // namespace
}  // namespace caduce::proto::jmap
