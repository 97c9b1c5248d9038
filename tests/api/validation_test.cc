#include "api/validation.h"

#include <gtest/gtest.h>

#include <set>

#include "api/multipart.h"
#include "api/pagination.h"
#include "model/uuid.h"

namespace scrapersky::api {
namespace {

using nlohmann::json;
constexpr std::string_view kUuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

Request body_request(std::string body) {
  Request request;
  request.method = "POST";
  request.body = std::move(body);
  return request;
}

Request query_request(std::string_view target) {
  Request request;
  request.method = "GET";
  request.set_target(target);
  return request;
}

// The 422 detail array thrown by `action`.
template <typename F>
json detail_of(F&& action) {
  try {
    action();
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 422);
    return error.detail();
  }
  ADD_FAILURE() << "expected a 422";
  return json::array();
}

TEST(JsonBody, MalformedJsonIs422JsonInvalid) {
  const auto detail = detail_of([] { JsonBody::parse(body_request(R"({"a": )")); });
  ASSERT_EQ(detail.size(), 1u);
  EXPECT_EQ(detail[0]["type"], "json_invalid");
  EXPECT_EQ(detail[0]["loc"][0], "body");
}

TEST(JsonBody, EmptyBodyIsMissingAndNonObjectIsRejected) {
  EXPECT_EQ(detail_of([] { JsonBody::parse(body_request("")); })[0]["type"], "missing");
  EXPECT_EQ(detail_of([] { JsonBody::parse(body_request("[1]")); })[0]["type"],
            "model_attributes_type");
}

TEST(JsonBody, CollectsEveryErrorWithFastApiLocations) {
  auto body = JsonBody::parse(body_request(
      R"({"domains": ["ok.com", 5, "x"], "max_pages": 0, "status": "Bogus", "id": "nope"})"));
  body.required_string_list("domains", {.min = 1, .max = 100}, {.min = 3});
  body.optional_int("max_pages", {.min = 1, .max = 10000});
  body.required_enum<model::SitemapCurationStatus>("status");
  body.required_uuid("id");
  body.required_string("name");
  const auto detail = detail_of([&] { body.finish(); });
  ASSERT_EQ(detail.size(), 6u);
  EXPECT_EQ(detail[0]["loc"], json({"body", "domains", 1}));
  EXPECT_EQ(detail[0]["type"], "string_type");
  EXPECT_EQ(detail[1]["loc"], json({"body", "domains", 2}));
  EXPECT_EQ(detail[1]["type"], "string_too_short");
  EXPECT_EQ(detail[2]["type"], "greater_than_equal");
  EXPECT_EQ(detail[2]["ctx"]["ge"], 1);
  EXPECT_EQ(detail[3]["type"], "enum");
  EXPECT_EQ(detail[3]["msg"],
            "Input should be 'New', 'Selected', 'Maybe', 'Not a Fit', 'Archived' or 'Completed'");
  EXPECT_EQ(detail[4]["type"], "uuid_parsing");
  EXPECT_EQ(detail[5]["type"], "missing");
  EXPECT_EQ(detail[5]["loc"], json({"body", "name"}));
  EXPECT_EQ(detail[5]["msg"], "Field required");
}

TEST(JsonBody, ValidInputPassesAndIsNormalised) {
  auto body = JsonBody::parse(body_request(
      R"({"ids": ["3F2504E0-4F89-41D3-9A0C-0305E82C3301"], "n": "42", "flag": true, "s": null})"));
  const auto ids = body.required_uuid_list("ids", {.min = 1});
  const auto n = body.required_int("n", {.min = 1, .max = 100});
  const auto flag = body.optional_bool("flag");
  const auto s = body.optional_string("s");
  const auto absent = body.optional_enum<model::SitemapCurationStatus>("absent");
  EXPECT_NO_THROW(body.finish());
  EXPECT_EQ(ids, std::vector<std::string>{std::string(kUuid)});
  EXPECT_EQ(n, 42);
  EXPECT_EQ(flag, true);
  EXPECT_FALSE(s.has_value());
  EXPECT_FALSE(absent.has_value());
}

TEST(JsonBody, EnumCanBeRestrictedToASubset) {
  auto body = JsonBody::parse(body_request(R"({"status": "Completed"})"));
  constexpr model::SitemapCurationStatus kAllowed[] = {model::SitemapCurationStatus::kNew,
                                                       model::SitemapCurationStatus::kSelected};
  body.required_enum<model::SitemapCurationStatus>("status", kAllowed);
  const auto detail = detail_of([&] { body.finish(); });
  EXPECT_EQ(detail[0]["ctx"]["expected"], "'New' or 'Selected'");
}

TEST(JsonBody, ListLengthBoundsAreTooShortAndTooLong) {
  auto empty = JsonBody::parse(body_request(R"({"ids": []})"));
  empty.required_uuid_list("ids", {.min = 1});
  EXPECT_EQ(detail_of([&] { empty.finish(); })[0]["type"], "too_short");
  auto many = JsonBody::parse(body_request(R"({"d": ["aaa", "bbb", "ccc"]})"));
  many.required_string_list("d", {.max = 2});
  EXPECT_EQ(detail_of([&] { many.finish(); })[0]["type"], "too_long");
}

TEST(JsonBody, IntegerFromFractionalFloatOrGarbageFails) {
  auto body = JsonBody::parse(body_request(R"({"a": 1.5, "b": "x", "c": 2.0, "d": 20})"));
  body.optional_int("a");
  body.optional_int("b");
  EXPECT_EQ(body.optional_int("c"), 2);
  body.optional_int("d", {.max = 10});
  const auto detail = detail_of([&] { body.finish(); });
  ASSERT_EQ(detail.size(), 3u);
  EXPECT_EQ(detail[0]["type"], "int_from_float");
  EXPECT_EQ(detail[1]["type"], "int_parsing");
  EXPECT_EQ(detail[2]["type"], "less_than_equal");
}

TEST(QueryParams, ParsesIntsWithBoundsBoolsEnumsAndUuids) {
  const auto request = query_request(
      std::string("/x?page=2&size=50&flag=false&status=Selected&domain_id=") + std::string(kUuid));
  QueryParams q(request);
  EXPECT_EQ(q.integer("page", 1, {.min = 1}), 2);
  EXPECT_EQ(q.integer("size", 15, {.min = 1, .max = 200}), 50);
  EXPECT_EQ(q.integer("missing", 7), 7);
  EXPECT_EQ(q.boolean("flag", true), false);
  EXPECT_EQ(q.optional_enum<model::SitemapCurationStatus>("status"),
            model::SitemapCurationStatus::kSelected);
  EXPECT_EQ(q.optional_uuid("domain_id"), std::string(kUuid));
  EXPECT_NO_THROW(q.finish());
}

TEST(QueryParams, InvalidValuesAre422WithQueryLocations) {
  const auto request =
      query_request("/x?page=0&size=abc&flag=maybe&status=Nope&domain_id=123&ok=1");
  QueryParams q(request);
  q.integer("page", 1, {.min = 1});
  q.integer("size", 15);
  q.boolean("flag", false);
  q.optional_enum<model::SitemapCurationStatus>("status");
  q.optional_uuid("domain_id");
  const auto detail = detail_of([&] { q.finish(); });
  ASSERT_EQ(detail.size(), 5u);
  EXPECT_EQ(detail[0]["loc"], json({"query", "page"}));
  EXPECT_EQ(detail[0]["type"], "greater_than_equal");
  EXPECT_EQ(detail[1]["type"], "int_parsing");
  EXPECT_EQ(detail[2]["type"], "bool_parsing");
  EXPECT_EQ(detail[3]["type"], "enum");
  EXPECT_EQ(detail[4]["type"], "uuid_parsing");
  EXPECT_EQ(detail[4]["loc"], json({"query", "domain_id"}));
}

TEST(QueryParams, BooleansAcceptTrueFalseOneZero) {
  const auto request = query_request("/x?a=true&b=1&c=0&d=FALSE");
  QueryParams q(request);
  EXPECT_TRUE(q.boolean("a", false));
  EXPECT_TRUE(q.boolean("b", false));
  EXPECT_FALSE(q.boolean("c", true));
  EXPECT_FALSE(q.boolean("d", true));
  EXPECT_TRUE(q.ok());
}

TEST(PathUuid, MalformedIsA422AtThePathLocation) {
  Request request;
  request.path_params["sitemap_file_id"] = "not-a-uuid";
  const auto detail = detail_of([&] { path_uuid(request, "sitemap_file_id"); });
  EXPECT_EQ(detail[0]["loc"], json({"path", "sitemap_file_id"}));
  EXPECT_EQ(detail[0]["type"], "uuid_parsing");
  request.path_params["sitemap_file_id"] = std::string(kUuid);
  EXPECT_EQ(path_uuid(request, "sitemap_file_id"), kUuid);
}

TEST(ValidationError, MessageSummarisesTheFirstErrorAndDetailIsTheArray) {
  const auto error = validation_error(
      {FieldError{json({"body", "domains", 0}), "Field required", "missing", nullptr, nullptr},
       FieldError{json({"body", "x"}), "Field required", "missing", nullptr, nullptr}});
  EXPECT_EQ(error.status(), 422);
  EXPECT_EQ(error.message(), "Validation error: body.domains.0: Field required (and 1 more)");
  EXPECT_TRUE(error.detail().is_array());
  const auto body = json::parse(error_response(error).body);
  EXPECT_EQ(body["error"], true);
  EXPECT_EQ(body["status_code"], 422);
  EXPECT_EQ(body["detail"][0]["loc"], json({"body", "domains", 0}));
}

TEST(Uuid, ParsesCanonicalFormsAndRejectsOthers) {
  EXPECT_EQ(model::parse_uuid("3F2504E04F8941D39A0C0305E82C3301"), std::string(kUuid));
  EXPECT_EQ(model::parse_uuid("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}"), std::string(kUuid));
  EXPECT_EQ(model::parse_uuid("urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301"), std::string(kUuid));
  EXPECT_FALSE(model::parse_uuid("3f2504e0-4f89-41d3-9a0c-0305e82c330").has_value());
  EXPECT_FALSE(model::parse_uuid("3f2504e0-4f89-41d3-9a0c-0305e82c330g").has_value());
  EXPECT_FALSE(model::parse_uuid("3f2504e04-f89-41d3-9a0c-0305e82c3301").has_value());
}

TEST(Uuid, NewV4IsValidVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = model::new_uuid_v4();
    ASSERT_TRUE(model::is_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Pagination, PagesIsCeilingAndZeroWhenEmpty) {
  EXPECT_EQ(page_count(0, 15), 0);
  EXPECT_EQ(page_count(1, 15), 1);
  EXPECT_EQ(page_count(15, 15), 1);
  EXPECT_EQ(page_count(16, 15), 2);
  const auto page = paginated(json::array({1, 2}), 17, 2, 15);
  EXPECT_EQ(page, json({{"items", {1, 2}}, {"total", 17}, {"page", 2}, {"size", 15}, {"pages", 2}}));
  EXPECT_EQ(page_offset(3, 20), 40);
}

std::string multipart_body(std::string_view boundary) {
  return std::string("--") + std::string(boundary) +
         "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" +
         std::string(boundary) +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"domains.csv\"\r\n"
         "Content-Type: text/csv\r\n\r\ndomain\r\nexample.com\r\n\r\n--" +
         std::string(boundary) + "--\r\n";
}

TEST(Multipart, FindsTheFilePartWithItsFilenameAndExactBytes) {
  Request request;
  request.headers.add("Content-Type", "multipart/form-data; boundary=\"XyZ123\"");
  request.body = multipart_body("XyZ123");
  const auto file = read_uploaded_file(request);
  EXPECT_EQ(file.name, "file");
  EXPECT_EQ(file.filename, "domains.csv");
  EXPECT_EQ(file.content_type, "text/csv");
  EXPECT_EQ(file.content, "domain\r\nexample.com\r\n");
}

TEST(Multipart, MissingFilePartIs422Missing) {
  Request request;
  request.headers.add("Content-Type", "multipart/form-data; boundary=b");
  request.body = "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n";
  const auto detail = detail_of([&] { read_uploaded_file(request); });
  EXPECT_EQ(detail[0]["loc"], json({"body", "file"}));
  EXPECT_EQ(detail[0]["type"], "missing");
  Request json_request;
  json_request.headers.add("Content-Type", "application/json");
  json_request.body = "{}";
  EXPECT_EQ(detail_of([&] { read_uploaded_file(json_request); })[0]["type"], "missing");
}

TEST(Multipart, TruncatedBodyIs400) {
  try {
    parse_multipart("multipart/form-data; boundary=b",
                    "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc");
    FAIL() << "expected ApiError";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400);
  }
}

}  // namespace
}  // namespace scrapersky::api
