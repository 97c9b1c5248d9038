// End-to-end tests of HttpServer on 127.0.0.1, port 0, through a raw-socket client.
#include "described_route.h"
#include "api/http_server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <sstream>

#include <future>
#include <thread>

#include "api/multipart.h"
#include "api/system_routes.h"
#include "api/validation.h"
#include "jwt_minter.h"
#include "test_client.h"

using scrapersky::api::testing::described;

namespace scrapersky::api {
namespace {

using nlohmann::json;
using testing::ClientResponse;
using testing::http_request;
using testing::TestConnection;

constexpr std::string_view kSecret = "server-test-secret";
constexpr std::string_view kApiKey = "server-test-key";

std::string valid_token() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return testing::mint_jwt({{"sub", "user-1"}, {"aud", "authenticated"}, {"exp", now + 600}}, kSecret);
}

// Polls `condition` until it holds or 5 s pass (server counters update just after the client
// has its answer).
template <typename F>
bool eventually(F&& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// A handler that blocks until the test releases it, to hold a request in flight.
struct Gate {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    spdlog::set_level(spdlog::level::warn);
    add_health_route(router);
    router.add("GET", "/api/v3/sitemap-files/", [](Request&) { return Response::json(200, {{"route", "list"}}); }, described("/api/v3/sitemap-files/"));
    router.add("GET", "/api/v3/sitemap-files/{sitemap_file_id}", [](Request& r) {
      return Response::json(200, {{"id", path_uuid(r, "sitemap_file_id")}});
    }, described("/api/v3/sitemap-files/{sitemap_file_id}"));
    router.add("GET", "/api/v3/whoami", [](Request& r) {
      return Response::json(200, {{"subject", r.principal->subject}, {"kind", static_cast<int>(r.principal->kind)}});
    }, described("/api/v3/whoami"));
    router.add("POST", "/api/v3/echo", [](Request& r) {
      auto body = JsonBody::parse(r);
      auto domains = body.required_string_list("domains", {.min = 1}, {.min = 3});
      body.finish();
      return Response::json(200, {{"domains", domains}});
    }, described("/api/v3/echo"));
    router.add("POST", "/api/v3/upload", [](Request& r) {
      const auto file = read_uploaded_file(r);
      return Response::json(200, {{"filename", file.filename}, {"bytes", file.content.size()}});
    }, described("/api/v3/upload"));
    router.add("GET", "/api/v3/boom", [](Request&) -> Response { throw std::runtime_error("pq: relation \"x\" does not exist"); }, described("/api/v3/boom"));
    router.add("GET", "/api/v3/slow", [this](Request&) {
      gate.entered.set_value();
      gate.released.wait();
      return Response::json(200, {{"slow", "done"}});
    }, described("/api/v3/slow"));
    options.host = "127.0.0.1";
    options.port = 0;
    options.auth = AuthSettings{std::string(kSecret), {std::string(kApiKey)}, "authenticated"};
    options.max_body_bytes = 4096;
    options.max_upload_bytes = 64 * 1024;
  }

  std::uint16_t start() {
    server = std::make_unique<HttpServer>(options, router);
    port = server->start();
    return port;
  }

  ClientResponse get(std::string_view target, testing::HeaderList headers = {}) {
    return http_request(port, "GET", target, headers);
  }

  testing::HeaderList with_key() const { return {{"X-API-Key", std::string(kApiKey)}}; }

  Router router;
  ServerOptions options;
  Gate gate;
  std::unique_ptr<HttpServer> server;
  std::uint16_t port = 0;
};

TEST_F(ServerTest, StartOnPortZeroReturnsTheBoundPortAndHealthAnswers) {
  ASSERT_NE(start(), 0);
  const auto response = get("/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.json(), json({{"status", "ok"}}));
  EXPECT_EQ(response.header("Cache-Control"), "no-store, no-cache, must-revalidate, max-age=0");
}

TEST_F(ServerTest, TrailingSlashIsServedDirectlyWithoutRedirect) {
  start();
  EXPECT_EQ(get("/api/v3/sitemap-files/", with_key()).status, 200);
  EXPECT_EQ(get("/api/v3/sitemap-files", with_key()).status, 200);
  EXPECT_EQ(get("/healthz/").status, 200);
}

TEST_F(ServerTest, PathParametersReachTheHandlerAndMalformedUuidIs422) {
  start();
  const auto ok = get("/api/v3/sitemap-files/3F2504E0-4F89-41D3-9A0C-0305E82C3301", with_key());
  EXPECT_EQ(ok.json()["id"], "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  const auto bad = get("/api/v3/sitemap-files/nope", with_key());
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.json()["detail"][0]["loc"], json({"path", "sitemap_file_id"}));
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405) {
  start();
  const auto missing = get("/nothing-here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["status_code"], 404);
  const auto wrong = http_request(port, "DELETE", "/api/v3/sitemap-files/", with_key());
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET");
  EXPECT_EQ(wrong.json()["error"], true);
}

TEST_F(ServerTest, HeadAnswersLikeGetWithTheLengthAndNoBody) {
  start();
  const auto got = get("/healthz");
  TestConnection connection(port);
  const auto head = connection.request("HEAD", "/healthz", {});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(got.body.size()));
  EXPECT_TRUE(head.body.empty());
  // The connection stays usable: no stray body bytes precede the next response.
  EXPECT_EQ(connection.request("GET", "/healthz", {}).body, got.body);
  EXPECT_EQ(http_request(port, "HEAD", "/api/v3/sitemap-files/", with_key()).status, 200);
}

TEST_F(ServerTest, UnknownApiPathWithoutCredentialsIs401) {
  start();
  const auto response = get("/api/v3/not-a-route");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(response.json(), json({{"error", true},
                                   {"message", "Not authenticated"},
                                   {"detail", "Not authenticated"},
                                   {"status_code", 401}}));
}

TEST_F(ServerTest, ValidJwtIsAcceptedAndItsSubjectReachesTheHandler) {
  start();
  const auto response = get("/api/v3/whoami", {{"Authorization", "Bearer " + valid_token()}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.json()["subject"], "user-1");
}

struct BadCredentialCase {
  std::string name;
  testing::HeaderList headers;
};

class ServerRejectsCredentials : public ServerTest,
                                 public ::testing::WithParamInterface<BadCredentialCase> {};

TEST_P(ServerRejectsCredentials, With401EnvelopeAndWwwAuthenticate) {
  start();
  const auto response = get("/api/v3/whoami", GetParam().headers);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(response.json()["error"], true);
  EXPECT_EQ(response.json()["status_code"], 401);
}

std::vector<BadCredentialCase> bad_credentials() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const json good = {{"sub", "u"}, {"aud", "authenticated"}, {"exp", now + 600}};
  const auto token = [&](json claims) {
    return testing::HeaderList{{"Authorization", "Bearer " + testing::mint_jwt(claims, kSecret)}};
  };
  json expired = good, wrong_aud = good, no_aud = good, no_sub = good;
  expired["exp"] = now - 5;
  wrong_aud["aud"] = "anon";
  no_aud.erase("aud");
  no_sub.erase("sub");
  const std::string alg_none = testing::base64url(R"({"alg":"none"})") + "." +
                               testing::base64url(good.dump()) + ".";
  return {
      {"MissingHeader", {}},
      {"WrongScheme", {{"Authorization", "Basic " + testing::base64url("a:b")}}},
      {"Expired", token(expired)},
      {"WrongAudience", token(wrong_aud)},
      {"MissingAudience", token(no_aud)},
      {"MissingSub", token(no_sub)},
      {"BadSignature", {{"Authorization", "Bearer " + testing::mint_jwt(good, "wrong-secret")}}},
      {"AlgNone", {{"Authorization", "Bearer " + alg_none}}},
      {"WrongApiKey", {{"X-API-Key", "nope"}}},
  };
}

INSTANTIATE_TEST_SUITE_P(Auth, ServerRejectsCredentials, ::testing::ValuesIn(bad_credentials()),
                         [](const auto& info) { return info.param.name; });

TEST_F(ServerTest, ApiKeyWorksAsXApiKeyAndAsBearerValue) {
  start();
  EXPECT_EQ(get("/api/v3/whoami", with_key()).status, 200);
  EXPECT_EQ(get("/api/v3/whoami", {{"Authorization", "Bearer " + std::string(kApiKey)}}).status, 200);
}

TEST_F(ServerTest, OpenModeServesWithoutCredentialsOnLoopback) {
  options.auth = AuthSettings{};
  start();
  EXPECT_EQ(get("/api/v3/whoami").status, 200);
}

TEST_F(ServerTest, OpenModeRefusesToListenOnAllInterfaces) {
  options.auth = AuthSettings{};
  options.host = "0.0.0.0";
  HttpServer refused(options, router);
  EXPECT_THROW(refused.start(), ServerError);
}

TEST_F(ServerTest, CorsPreflightIs204WithAllowedMethodsAndHeaders) {
  start();
  const auto response = http_request(port, "OPTIONS", "/api/v3/sitemap-files/",
                                     {{"Origin", "https://ui.example"},
                                      {"Access-Control-Request-Method", "PUT"}});
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(response.header("Access-Control-Allow-Methods"), "GET, POST, PUT, DELETE, OPTIONS");
  EXPECT_EQ(response.header("Access-Control-Allow-Headers"),
            "Authorization, Content-Type, X-API-Key, X-Tenant-Id");
}

TEST_F(ServerTest, ValidationErrorsAre422WithDetailArrayAndMessage) {
  start();
  auto headers = with_key();
  headers.emplace_back("Content-Type", "application/json");
  const auto response = http_request(port, "POST", "/api/v3/echo", headers, R"({"domains": ["ok.com", "x"]})");
  EXPECT_EQ(response.status, 422);
  const auto body = response.json();
  EXPECT_EQ(body["error"], true);
  EXPECT_EQ(body["status_code"], 422);
  EXPECT_EQ(body["message"], "Validation error: body.domains.1: String should have at least 3 characters");
  EXPECT_EQ(body["detail"][0]["loc"], json({"body", "domains", 1}));
  EXPECT_EQ(body["detail"][0]["type"], "string_too_short");
}

TEST_F(ServerTest, MalformedJsonIs422) {
  start();
  const auto response = http_request(port, "POST", "/api/v3/echo", with_key(), R"({"domains": [)");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.json()["detail"][0]["type"], "json_invalid");
}

TEST_F(ServerTest, UnhandledErrorIs500WithoutInternals) {
  start();
  const auto response = get("/api/v3/boom", with_key());
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.json()["message"], "Internal server error");
  EXPECT_EQ(response.body.find("relation"), std::string::npos);
}

TEST_F(ServerTest, BodyOverTheJsonLimitIs413) {
  start();
  TestConnection connection(port);
  const std::string big(options.max_body_bytes + 1, 'x');
  const auto response = connection.request("POST", "/api/v3/echo", with_key(), big);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.json()["status_code"], 413);
  EXPECT_EQ(response.header("Cache-Control"), "no-store, no-cache, must-revalidate, max-age=0");
  EXPECT_TRUE(connection.wait_closed());
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  start();
  TestConnection connection(port);
  const std::string chunk(options.max_body_bytes, 'x');
  std::string raw = "POST /api/v3/echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(kApiKey) +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) raw += fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk);
  raw += "0\r\n\r\n";
  ASSERT_TRUE(connection.send_raw(raw));
  const auto response = connection.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
}

TEST_F(ServerTest, MultipartUploadMayExceedTheJsonLimitUpToTheUploadLimit) {
  start();
  const std::string content(10'000, 'a');
  const std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\n\r\n" +
                           content + "\r\n--B--\r\n";
  auto headers = with_key();
  headers.emplace_back("Content-Type", "multipart/form-data; boundary=B");
  const auto ok = http_request(port, "POST", "/api/v3/upload", headers, body);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json(), json({{"filename", "d.csv"}, {"bytes", 10'000}}));

  const std::string too_big(options.max_upload_bytes + 1, 'a');
  EXPECT_EQ(http_request(port, "POST", "/api/v3/upload", headers, too_big).status, 413);
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  start();
  TestConnection connection(port);
  const std::string body = R"({"domains": ["example.com"]})";
  ASSERT_TRUE(connection.send_raw("POST /api/v3/echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " +
                                  std::string(kApiKey) + "\r\nExpect: 100-continue\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  const auto interim = connection.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(connection.send_raw(body));
  const auto final_response = connection.read_response();
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(final_response->status, 200);
  EXPECT_EQ(final_response->json()["domains"][0], "example.com");
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  start();
  const auto response = get("/healthz", {{"X-Padding", std::string(20 * 1024, 'p')}});
  EXPECT_EQ(response.status, 431);
  EXPECT_EQ(response.json()["status_code"], 431);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  start();
  TestConnection connection(port);
  ASSERT_TRUE(connection.send_raw("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"));
  const auto response = connection.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  TestConnection connection(port);
  EXPECT_EQ(connection.request("GET", "/healthz").status, 200);
  EXPECT_EQ(connection.request("GET", "/api/v3/whoami", with_key()).status, 200);
  EXPECT_EQ(server->stats().open_connections, 1u);
  EXPECT_TRUE(eventually([&] { return server->stats().requests_served == 2; }));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  TestConnection connection(port);
  ASSERT_TRUE(connection.send_raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(connection.read_response()->status, 200);
  EXPECT_EQ(connection.read_response()->status, 404);
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterTheReadTimeout) {
  options.read_timeout = std::chrono::milliseconds(200);
  start();
  TestConnection connection(port, std::chrono::seconds(5));
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(connection.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(4));
}

TEST_F(ServerTest, TwoHundredConcurrentConnectionsAreAllAnswered) {
  start();
  std::vector<std::unique_ptr<TestConnection>> connections;
  for (int i = 0; i < 200; ++i) connections.push_back(std::make_unique<TestConnection>(port));
  for (auto& connection : connections) ASSERT_TRUE(connection->send("GET", "/healthz"));
  int answered = 0;
  for (auto& connection : connections) {
    const auto response = connection->read_response();
    answered += response && response->status == 200;
  }
  EXPECT_EQ(answered, 200);
}

TEST_F(ServerTest, ConnectionsBeyondTheCapWaitInTheBacklogAndAreServed) {
  options.max_connections = 4;
  start();
  std::vector<std::unique_ptr<TestConnection>> connections;
  for (int i = 0; i < 12; ++i) connections.push_back(std::make_unique<TestConnection>(port));
  for (auto& connection : connections) {
    ASSERT_TRUE(connection->send("GET", "/healthz", {{"Connection", "close"}}));
  }
  int answered = 0;
  for (auto& connection : connections) {
    const auto response = connection->read_response();
    answered += response && response->status == 200;
  }
  EXPECT_EQ(answered, 12);
  EXPECT_LE(server->stats().open_connections, 4u);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequestRefusesNewConnectionsAndClosesIdleOnes) {
  start();
  TestConnection idle(port);
  ASSERT_EQ(idle.request("GET", "/healthz").status, 200);  // now idle on keep-alive

  TestConnection busy(port);
  ASSERT_TRUE(busy.send("GET", "/api/v3/slow", with_key()));
  gate.entered.get_future().wait();

  server->request_stop();
  EXPECT_FALSE(testing::can_connect(port));
  EXPECT_TRUE(idle.wait_closed());

  gate.release.set_value();
  const auto response = busy.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->json()["slow"], "done");
  EXPECT_EQ(response->header("Connection"), "close");
  server->wait();
  EXPECT_EQ(server->stats().open_connections, 0u);
  EXPECT_EQ(server->stats().requests_in_flight, 0u);
}

TEST_F(ServerTest, StopGraceClosesConnectionsThatDoNotFinish) {
  options.shutdown_grace = std::chrono::milliseconds(100);
  start();
  TestConnection busy(port);
  ASSERT_TRUE(busy.send("GET", "/api/v3/slow", with_key()));
  gate.entered.get_future().wait();
  server->request_stop();
  EXPECT_TRUE(busy.wait_closed());  // closed at the deadline, without an answer
  gate.release.set_value();
  server->wait();
}

TEST_F(ServerTest, StopWithNothingInFlightReturnsPromptly) {
  start();
  const auto begin = std::chrono::steady_clock::now();
  server->request_stop();
  server->wait();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
}

TEST_F(ServerTest, SigtermStopsAServerWiredWithStopOnSignals) {
  start();
  server->stop_on_signals();
  ASSERT_EQ(get("/healthz").status, 200);
  std::raise(SIGTERM);
  server->wait();  // returns only because the signal requested the stop
  EXPECT_FALSE(testing::can_connect(port));
}

TEST_F(ServerTest, AccessLogHasMethodPathStatusAndNeverTheCredentials) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  start();
  const std::string token = valid_token();
  EXPECT_EQ(get("/api/v3/whoami?x=1", {{"Authorization", "Bearer " + token}}).status, 200);
  EXPECT_EQ(get("/api/v3/whoami", with_key()).status, 200);
  server->request_stop();
  server->wait();
  spdlog::set_default_logger(previous);
  const std::string log = captured.str();
  EXPECT_NE(log.find("http_access method=GET path=/api/v3/whoami status=200 duration_ms="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(" bytes="), std::string::npos);
  EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(log.find(kApiKey), std::string::npos);
}

}  // namespace
}  // namespace scrapersky::api
