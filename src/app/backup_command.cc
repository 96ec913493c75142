#include "app/backup_command.h"

#include <curl/curl.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

namespace urna::app {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The admin token: the flag, URNA_ADMIN_TOKEN, or the second line of <data-dir>/secrets.
std::string AdminToken(const BackupCommandOptions& o) {
  if (!o.admin_token.empty()) return o.admin_token;
  if (const char* env = std::getenv("URNA_ADMIN_TOKEN"); env && *env) return env;
  std::ifstream in(std::filesystem::path(o.data_dir) / "secrets");
  std::string voter, admin;
  std::getline(in, voter);
  std::getline(in, admin);
  return admin;
}

}  // namespace

int RunBackupCommand(const BackupCommandOptions& o) {
  std::string token = AdminToken(o);
  if (token.empty()) {
    std::fprintf(stderr,
                 "urna backup: no admin token: set URNA_ADMIN_TOKEN, pass --admin-token, or "
                 "--data-dir of a server that generated its secrets\n");
    return 2;
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    std::fprintf(stderr, "urna backup: cannot start an HTTP client\n");
    return 1;
  }
  std::string url = o.url + "/v1/admin/backup";
  std::string body = boost::json::serialize(boost::json::object{{"to", o.to}});
  std::string auth = "Authorization: Bearer " + token;
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  headers.reset(curl_slist_append(headers.release(), auth.c_str()));
  headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json"));
  std::string answer;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 3600L);  // a large database takes a while
  if (auto rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    std::fprintf(stderr, "urna backup: %s: %s\n", url.c_str(), curl_easy_strerror(rc));
    return 1;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  boost::system::error_code ec;
  auto v = boost::json::parse(answer, ec);
  if (status == 201 && !ec && v.is_object() && v.as_object().contains("path")) {
    std::printf("backup made in %s\n", std::string(v.as_object().at("path").as_string()).c_str());
    return 0;
  }
  std::string why = answer;
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
        why = std::string(m->as_string());
      }
    }
  }
  std::fprintf(stderr, "urna backup: the server answered %ld: %s\n", status, why.c_str());
  return 1;
}

}  // namespace urna::app
