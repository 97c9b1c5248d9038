#include "api/auth.h"

#include <gtest/gtest.h>

#include "jwt_minter.h"

namespace scrapersky::api {
namespace {

using testing::mint_jwt;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kSecret = "test-secret-key-of-some-length";

nlohmann::json valid_claims() {
  return {{"sub", "5905e9fe-6c61-4694-b09a-6602017b000a"},
          {"aud", "authenticated"},
          {"exp", kNow + 3600},
          {"iat", kNow - 10}};
}

Headers bearer(const std::string& token) {
  Headers headers;
  headers.add("Authorization", "Bearer " + token);
  return headers;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  Authenticator jwt_only{AuthSettings{std::string(kSecret), {}, "authenticated"}, [] { return kNow; }};
  Authenticator keys_only{AuthSettings{"", {"key-one", "key-two"}, "authenticated"},
                          [] { return kNow; }};

  // The 401 the authenticator throws, with its WWW-Authenticate header checked.
  static ApiError rejection(const Authenticator& auth, const Headers& headers) {
    try {
      auth.authenticate(headers);
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 401);
      EXPECT_EQ(error.headers.size(), 1u);
      if (!error.headers.empty()) {
        EXPECT_EQ(error.headers[0].first, "WWW-Authenticate");
        EXPECT_EQ(error.headers[0].second, "Bearer");
      }
      return error;
    }
    ADD_FAILURE() << "expected a 401";
    return ApiError(0, "");
  }
};

TEST_F(AuthenticatorTest, AcceptsAValidTokenAndExposesItsSubject) {
  const auto principal = jwt_only.authenticate(bearer(mint_jwt(valid_claims(), kSecret)));
  EXPECT_EQ(principal.kind, Principal::Kind::kJwt);
  EXPECT_EQ(principal.subject, "5905e9fe-6c61-4694-b09a-6602017b000a");
  EXPECT_EQ(principal.claims["aud"], "authenticated");
}

TEST_F(AuthenticatorTest, SchemeIsCaseInsensitive) {
  Headers headers;
  headers.add("authorization", "bEaReR " + mint_jwt(valid_claims(), kSecret));
  EXPECT_EQ(jwt_only.authenticate(headers).kind, Principal::Kind::kJwt);
}

TEST_F(AuthenticatorTest, AcceptsAnAudienceArrayContainingAuthenticated) {
  auto claims = valid_claims();
  claims["aud"] = {"other", "authenticated"};
  EXPECT_NO_THROW(jwt_only.authenticate(bearer(mint_jwt(claims, kSecret))));
}

TEST_F(AuthenticatorTest, MissingHeaderIsNotAuthenticated) {
  EXPECT_EQ(rejection(jwt_only, Headers{}).message(), "Not authenticated");
}

TEST_F(AuthenticatorTest, WrongSchemeIsNotAuthenticated) {
  Headers headers;
  headers.add("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(rejection(jwt_only, headers).message(), "Not authenticated");
}

TEST_F(AuthenticatorTest, ExpiredTokenIsRejected) {
  auto claims = valid_claims();
  claims["exp"] = kNow - 1;
  const auto error = rejection(jwt_only, bearer(mint_jwt(claims, kSecret)));
  EXPECT_EQ(error.message(), "Could not validate credentials");
  EXPECT_EQ(error.detail(), "Token has expired");
}

TEST_F(AuthenticatorTest, TokenWithoutExpIsRejected) {
  auto claims = valid_claims();
  claims.erase("exp");
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(claims, kSecret))).detail(),
            "Token has no expiry (exp)");
}

TEST_F(AuthenticatorTest, WrongAudienceIsRejected) {
  auto claims = valid_claims();
  claims["aud"] = "anon";
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(claims, kSecret))).detail(), "Invalid audience");
}

TEST_F(AuthenticatorTest, MissingAudienceIsRejected) {
  auto claims = valid_claims();
  claims.erase("aud");
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(claims, kSecret))).detail(), "Invalid audience");
}

TEST_F(AuthenticatorTest, BadSignatureIsRejected) {
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(valid_claims(), "another-secret"))).detail(),
            "Signature verification failed");
}

TEST_F(AuthenticatorTest, TamperedPayloadIsRejected) {
  const std::string good = mint_jwt(valid_claims(), kSecret);
  auto claims = valid_claims();
  claims["sub"] = "someone-else";
  const std::string other = mint_jwt(claims, kSecret);
  // Header and signature of `good`, payload of `other`.
  const auto dot1 = good.find('.');
  const auto dot2 = good.rfind('.');
  const std::string spliced = good.substr(0, dot1) + other.substr(other.find('.'), other.rfind('.') - other.find('.')) + good.substr(dot2);
  EXPECT_EQ(rejection(jwt_only, bearer(spliced)).detail(), "Signature verification failed");
}

TEST_F(AuthenticatorTest, AlgNoneIsRejected) {
  const std::string unsigned_token = testing::base64url(R"({"alg":"none","typ":"JWT"})") + "." +
                                     testing::base64url(valid_claims().dump()) + ".";
  EXPECT_EQ(rejection(jwt_only, bearer(unsigned_token)).detail(), "Token algorithm must be HS256");
  // Also with a (valid HS256) signature attached: the header still says none.
  const auto signed_none = mint_jwt(valid_claims(), kSecret, {{"alg", "none"}});
  EXPECT_EQ(rejection(jwt_only, bearer(signed_none)).detail(), "Token algorithm must be HS256");
}

TEST_F(AuthenticatorTest, OtherAlgorithmsAreRejected) {
  const auto hs512_header = mint_jwt(valid_claims(), kSecret, {{"alg", "HS512"}});
  EXPECT_EQ(rejection(jwt_only, bearer(hs512_header)).detail(), "Token algorithm must be HS256");
}

TEST_F(AuthenticatorTest, MissingSubIsRejected) {
  auto claims = valid_claims();
  claims.erase("sub");
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(claims, kSecret))).detail(),
            "Token has no subject (sub)");
}

TEST_F(AuthenticatorTest, NotYetValidTokenIsRejected) {
  auto claims = valid_claims();
  claims["nbf"] = kNow + 60;
  EXPECT_EQ(rejection(jwt_only, bearer(mint_jwt(claims, kSecret))).detail(),
            "Token is not yet valid");
}

TEST_F(AuthenticatorTest, PaddedOrNonUrlSafeBase64IsRejected) {
  const std::string token = mint_jwt(valid_claims(), kSecret);
  EXPECT_EQ(rejection(jwt_only, bearer(token + "=")).detail(), "Malformed token");
  std::string with_plus = token;
  with_plus[token.find('.') - 1] = '+';
  EXPECT_EQ(rejection(jwt_only, bearer(with_plus)).detail(), "Malformed token");
  EXPECT_EQ(rejection(jwt_only, bearer("a.b")).detail(), "Malformed token");
  EXPECT_EQ(rejection(jwt_only, bearer(token + ".x")).detail(), "Malformed token");
}

TEST_F(AuthenticatorTest, ApiKeyIsAcceptedAsXApiKeyAndAsBearerValue) {
  Headers header;
  header.add("X-API-Key", "key-two");
  EXPECT_EQ(keys_only.authenticate(header).kind, Principal::Kind::kApiKey);
  EXPECT_EQ(keys_only.authenticate(bearer("key-one")).kind, Principal::Kind::kApiKey);
}

TEST_F(AuthenticatorTest, WrongApiKeyIsRejected) {
  Headers header;
  header.add("X-API-Key", "key-three");
  EXPECT_EQ(rejection(keys_only, header).message(), "Could not validate credentials");
  rejection(keys_only, bearer("key-on"));
  // A valid JWT is no use when only API keys are configured.
  rejection(keys_only, bearer(mint_jwt(valid_claims(), kSecret)));
}

TEST_F(AuthenticatorTest, ApiKeysAreNotJwtsAndViceVersa) {
  rejection(jwt_only, bearer("key-one"));
}

TEST(OpenMode, EveryoneIsLetInWhenNothingIsConfigured) {
  const Authenticator open{AuthSettings{}};
  EXPECT_TRUE(open.open_mode());
  EXPECT_EQ(open.authenticate(Headers{}).kind, Principal::Kind::kOpen);
}

TEST(OpenMode, AllowedOnLoopbackRefusedElsewhere) {
  const AuthSettings open;
  EXPECT_FALSE(check_listen_security("127.0.0.1", open).has_value());
  EXPECT_FALSE(check_listen_security("127.8.9.10", open).has_value());
  EXPECT_FALSE(check_listen_security("::1", open).has_value());
  EXPECT_FALSE(check_listen_security("[::1]", open).has_value());
  EXPECT_FALSE(check_listen_security("localhost", open).has_value());
  EXPECT_TRUE(check_listen_security("0.0.0.0", open).has_value());
  EXPECT_TRUE(check_listen_security("::", open).has_value());
  EXPECT_TRUE(check_listen_security("192.168.1.5", open).has_value());
  EXPECT_TRUE(check_listen_security("example.com", open).has_value());
  AuthSettings keyed;
  keyed.api_keys = {"k"};
  EXPECT_FALSE(check_listen_security("0.0.0.0", keyed).has_value());
}

TEST(ApiKeys, SplitTrimsAndDropsEmptyEntries) {
  EXPECT_EQ(split_api_keys(" a, b,,c ,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_api_keys("").empty());
}

TEST(Base64Url, DecodesStrictly) {
  EXPECT_EQ(base64url_decode("aGVsbG8").value_or("?"), "hello");
  EXPECT_EQ(base64url_decode("").value_or("?"), "");
  EXPECT_FALSE(base64url_decode("aGVsbG8=").has_value());  // padding
  EXPECT_FALSE(base64url_decode("aGVsbG9").has_value());   // non-zero trailing bits
  EXPECT_FALSE(base64url_decode("a").has_value());         // impossible length
  EXPECT_FALSE(base64url_decode("ab/c").has_value());      // not URL-safe
}

}  // namespace
}  // namespace scrapersky::api
