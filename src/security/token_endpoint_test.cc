#include "security/token_endpoint.h"

#include "core/json.h"
#include "gtest/gtest.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

class TokenEndpointTest : public testing::IdentityFixture {
 protected:
  void SetUp() override {
    IdentityFixture::SetUp();
    ASSERT_TRUE(identities_->AddClient("his", "p@ss word", *ParseScopes("system/*.cruds")).ok());
    endpoint_ = std::make_unique<TokenEndpoint>(tokens_.get());
  }
  net::HttpResponse Post(std::string body, std::string authorization = "") {
    net::HttpRequest req;
    req.method = "POST";
    req.path = "/auth/token";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
    req.body = std::move(body);
    return endpoint_->Handle(req);
  }
  static std::string Error(const net::HttpResponse& r) {
    auto v = json::Parse(r.body);
    const std::string* e = v.ok() ? v->FindString("error") : nullptr;
    return e ? *e : "(none) " + r.body;
  }
  std::unique_ptr<TokenEndpoint> endpoint_;
};

TEST_F(TokenEndpointTest, FormCredentialsGetABearerToken) {
  net::HttpResponse r =
      Post("grant_type=client_credentials&client_id=his&client_secret=p%40ss+word");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  auto v = json::Parse(r.body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->FindString("token_type"), "Bearer");
  EXPECT_EQ(v->Find("expires_in")->as_number().text, "3600");
  EXPECT_EQ(*v->FindString("scope"), "system/*.cruds");
  net::HttpRequest req;
  req.headers = {{"Authorization", "Bearer " + *v->FindString("access_token")}};
  auto p = AuthenticateRequest(*tokens_, req);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, "his");
  req.headers = {{"Authorization", "Basic aGlzOnA="}};
  EXPECT_FALSE(AuthenticateRequest(*tokens_, req).ok());
}

TEST_F(TokenEndpointTest, BasicCredentialsAndScope) {
  // base64("his:p%40ss+word"): RFC 6749 §2.3.1 form-encodes before base64.
  net::HttpResponse r =
      Post("grant_type=client_credentials&scope=system%2FPatient.rs", "Basic aGlzOnAlNDBzcyt3b3Jk");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*json::Parse(r.body)->FindString("scope"), "system/Patient.rs");
  EXPECT_EQ(Error(Post("grant_type=client_credentials&client_secret=x",
                       "Basic aGlzOnAlNDBzcyt3b3Jk")),
            "invalid_request");
}

TEST_F(TokenEndpointTest, OAuthErrors) {
  net::HttpResponse wrong = Post("grant_type=client_credentials&client_id=his&client_secret=no");
  net::HttpResponse unknown = Post("grant_type=client_credentials&client_id=x&client_secret=no");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Error(wrong), "invalid_client");
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_FALSE(wrong.Header("WWW-Authenticate").empty());
  EXPECT_EQ(Post("grant_type=client_credentials", "Basic !!!").status, 401);
  EXPECT_EQ(Post("grant_type=client_credentials").status, 401);
  EXPECT_EQ(Error(Post("grant_type=password&username=a&password=b")), "unsupported_grant_type");
  EXPECT_EQ(Error(Post("client_id=his")), "invalid_request");
  EXPECT_EQ(Error(Post("grant_type=client_credentials&grant_type=client_credentials")),
            "invalid_request");
  EXPECT_EQ(Error(Post("grant_type=client_credentials&client_id=his&client_secret=p%40ss+word"
                       "&scope=system/Patient.xyz")),
            "invalid_scope");
  net::HttpRequest get;
  get.method = "GET";
  EXPECT_EQ(endpoint_->Handle(get).status, 405);
  net::HttpRequest json_body;
  json_body.method = "POST";
  json_body.headers = {{"Content-Type", "application/json"}};
  json_body.body = "{}";
  EXPECT_EQ(Error(endpoint_->Handle(json_body)), "invalid_request");
}

}  // namespace
}  // namespace rhip::security
