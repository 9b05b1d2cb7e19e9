#include "bench/ingest/load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/ingest/http_client.h"
#include "bench/ingest/timing.h"
#include "core/ids.h"
#include "core/strings.h"

namespace rhip::bench {
namespace {

constexpr size_t kMaxReportedFailures = 20;
constexpr size_t kMaxOutcomeChars = 400;

// Runs fn(client) on `clients` threads, each with its own keep-alive connection.
void OnClients(const Server& server, int clients, const std::function<void(HttpClient&)>& fn) {
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      HttpClient client(server.host, server.port, server.token);
      fn(client);
    });
  }
  for (std::thread& t : threads) t.join();
}

// The diagnostics of an OperationOutcome, or the start of whatever else the body is.
std::string OutcomeText(const json::Value* outcome, std::string_view raw_body) {
  std::vector<std::string> parts;
  if (outcome != nullptr) {
    if (const json::Value* issues = outcome->Find("issue"); issues && issues->is_array()) {
      for (const json::Value& issue : issues->as_array()) {
        if (const std::string* d = issue.FindString("diagnostics")) parts.push_back(*d);
      }
    }
  }
  std::string text = parts.empty() ? std::string(raw_body) : absl::StrJoin(parts, " | ");
  if (text.size() > kMaxOutcomeChars) text = text.substr(0, kMaxOutcomeChars) + "...";
  return text;
}

Failure FailureOf(std::string what, const absl::StatusOr<HttpReply>& reply) {
  if (!reply.ok()) return {std::move(what), 0, std::string(ToStd(reply.status().message()))};
  auto doc = json::Parse(reply->body);
  return {std::move(what), reply->status, OutcomeText(doc.ok() ? &*doc : nullptr, reply->body)};
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

// Collects results from many client threads.
class Tally {
 public:
  void Accept(size_t resources) {
    std::lock_guard lock(mu_);
    result_.resources += resources;
  }
  void Refuse(size_t resources, Failure f) {
    std::lock_guard lock(mu_);
    result_.failed_resources += resources;
    result_.failures.push_back(std::move(f));
  }
  IngestResult& result() { return result_; }

 private:
  std::mutex mu_;
  IngestResult result_;
};

// Posts one bundle and records what was stored and what was refused.
void PostBundle(HttpClient& client, const Bundle& bundle, Tally& tally) {
  absl::StatusOr<HttpReply> reply = client.Send("POST", "/fhir", bundle.text);
  if (!reply.ok() || !Is2xx(reply->status)) {
    tally.Refuse(bundle.resources, FailureOf(bundle.name, reply));
    return;
  }
  if (bundle.type != "batch") {
    tally.Accept(bundle.resources);
    return;
  }
  // A batch answers 200 even when entries fail: look at each entry's status.
  auto doc = json::Parse(reply->body);
  const json::Value* entries = doc.ok() ? doc->Find("entry") : nullptr;
  if (entries == nullptr || !entries->is_array()) {
    tally.Refuse(bundle.resources, {bundle.name, reply->status, "batch-response has no entries"});
    return;
  }
  size_t ok = 0;
  for (size_t i = 0; i < entries->as_array().size(); ++i) {
    const json::Value* response = entries->as_array()[i].Find("response");
    const std::string* status = response ? response->FindString("status") : nullptr;
    if (status != nullptr && !status->empty() && (*status)[0] == '2') {
      ++ok;
      continue;
    }
    tally.Refuse(1, {StrCat(bundle.name, " entry ", i), reply->status,
                     OutcomeText(response ? response->Find("outcome") : nullptr, "")});
  }
  tally.Accept(ok);
}

std::string NewUuid() {
  std::string h = NewResourceId();  // 32 hex digits
  return StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4),
                "-", h.substr(20));
}

json::Value PostEntry(std::string full_url, json::Value resource) {
  json::Object request;
  request.Set("method", "POST");
  request.Set("url", *resource.FindString("resourceType"));
  json::Object entry;
  if (!full_url.empty()) entry.Set("fullUrl", std::move(full_url));
  entry.Set("resource", std::move(resource));
  entry.Set("request", std::move(request));
  return json::Value(std::move(entry));
}

json::Value TransactionOf(json::Array entries) {
  json::Object bundle;
  bundle.Set("resourceType", "Bundle");
  bundle.Set("type", "transaction");
  bundle.Set("entry", std::move(entries));
  return json::Value(std::move(bundle));
}

// A Patient as a registration clerk would send it: identifier, name, sex, birth date.
json::Value NewPatient() {
  json::Value p = *json::Parse(
      R"({"resourceType":"Patient","name":[{"family":"Bench","given":["Load"]}],)"
      R"("gender":"female","birthDate":"1980-05-17"})");
  json::Object identifier;
  identifier.Set("system", "urn:oid:2.16.156.10011.1.3");
  identifier.Set("value", NewResourceId().substr(0, 18));
  p.as_object().Set("identifier", json::Array{json::Value(std::move(identifier))});
  return p;
}

}  // namespace

Latency LatencyOf(std::vector<double> millis) {
  if (millis.empty()) return {};
  std::sort(millis.begin(), millis.end());
  auto at = [&](double q) { return millis[static_cast<size_t>(q * (millis.size() - 1))]; };
  return {at(0.50), at(0.99)};
}

IngestResult Ingest(const Server& server, const std::vector<Bundle>& bundles, int clients) {
  Tally tally;
  const auto start = SteadyClock::now();
  size_t next = 0;
  {
    HttpClient client(server.host, server.port, server.token);
    for (; next < bundles.size() && bundles[next].type == "batch"; ++next) {
      PostBundle(client, bundles[next], tally);
    }
  }
  tally.result().batch_seconds = SecondsSince(start);
  std::atomic<size_t> cursor{next};
  OnClients(server, clients, [&](HttpClient& client) {
    for (size_t i; (i = cursor.fetch_add(1)) < bundles.size();) PostBundle(client, bundles[i], tally);
  });
  IngestResult result = std::move(tally.result());
  result.seconds = SecondsSince(start);
  result.bundles = bundles.size();
  return result;
}

json::Value SmallTransactionBundle() {
  const std::string patient_url = StrCat("urn:uuid:", NewUuid());
  json::Value observation = *json::Parse(
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":)"
      R"("http://loinc.org","code":"8867-4","display":"Heart rate"}]},)"
      R"("effectiveDateTime":"2026-11-22T08:30:00+08:00","valueQuantity":{"value":72,)"
      R"("unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})");
  json::Object subject;
  subject.Set("reference", patient_url);
  observation.as_object().Set("subject", std::move(subject));
  json::Array entries;
  entries.push_back(PostEntry(patient_url, NewPatient()));
  entries.push_back(PostEntry(StrCat("urn:uuid:", NewUuid()), std::move(observation)));
  return TransactionOf(std::move(entries));
}

RateResult SmallTransactions(const Server& server, int clients, double seconds) {
  std::mutex mu;
  RateResult result;
  std::vector<double> millis;
  const auto start = SteadyClock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  OnClients(server, clients, [&](HttpClient& client) {
    std::vector<double> mine;
    size_t ok = 0;
    std::vector<Failure> failures;
    while (SteadyClock::now() < deadline) {
      std::string body = json::Serialize(SmallTransactionBundle());
      const auto sent = SteadyClock::now();
      absl::StatusOr<HttpReply> reply = client.Send("POST", "/fhir", std::move(body));
      mine.push_back(SecondsSince(sent) * 1000);
      if (reply.ok() && Is2xx(reply->status)) {
        ++ok;
      } else if (failures.size() < kMaxReportedFailures) {
        failures.push_back(FailureOf("small transaction", reply));
      }
    }
    std::lock_guard lock(mu);
    result.ok += ok;
    result.failed += mine.size() - ok;
    millis.insert(millis.end(), mine.begin(), mine.end());
    for (Failure& f : failures) {
      if (result.failures.size() < kMaxReportedFailures) result.failures.push_back(std::move(f));
    }
  });
  result.seconds = SecondsSince(start);
  result.latency = LatencyOf(std::move(millis));
  return result;
}

absl::StatusOr<std::vector<std::string>> CreatePatients(const Server& server, int count) {
  constexpr int kPerBundle = 100;
  HttpClient client(server.host, server.port, server.token);
  std::vector<std::string> ids;
  while (static_cast<int>(ids.size()) < count) {
    json::Array entries;
    for (int i = 0; i < kPerBundle && static_cast<int>(ids.size()) + i < count; ++i) {
      entries.push_back(PostEntry("", NewPatient()));
    }
    absl::StatusOr<HttpReply> reply =
        client.Send("POST", "/fhir", json::Serialize(TransactionOf(std::move(entries))));
    if (!reply.ok() || !Is2xx(reply->status)) {
      Failure f = FailureOf("Patient bundle", reply);
      return absl::InternalError(StrCat("creating Patients failed: HTTP ", f.status, " ", f.outcome));
    }
    auto doc = json::Parse(reply->body);
    const json::Value* response_entries = doc.ok() ? doc->Find("entry") : nullptr;
    if (response_entries == nullptr || !response_entries->is_array()) {
      return absl::InternalError("creating Patients: the response Bundle has no entries");
    }
    for (const json::Value& e : response_entries->as_array()) {
      const json::Value* response = e.Find("response");
      const std::string* location = response ? response->FindString("location") : nullptr;
      // location: Patient/{id}/_history/1
      if (location == nullptr || location->rfind("Patient/", 0) != 0) {
        return absl::InternalError("creating Patients: an entry has no Patient location");
      }
      std::string_view rest = std::string_view(*location).substr(8);
      ids.emplace_back(rest.substr(0, rest.find('/')));
    }
  }
  return ids;
}

}  // namespace rhip::bench
