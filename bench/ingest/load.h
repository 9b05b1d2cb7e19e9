// The HTTP workloads: Synthea ingest, small durable transactions, Patients for reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/ingest/synthea.h"
#include "core/json.h"

namespace rhip::bench {

struct Server {
  std::string host;
  uint16_t port = 0;
  std::string token;  // bearer token for /fhir; empty: none
};

// A request the server refused: a bundle, or an entry of a batch bundle.
struct Failure {
  std::string what;     // bundle file name, plus the entry index for batch entries
  int status = 0;       // HTTP status (0: transport failure)
  std::string outcome;  // the OperationOutcome's diagnostics, or the start of the body
};

struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
};

struct IngestResult {
  size_t bundles = 0;
  size_t resources = 0;         // stored: entries of accepted bundles, minus failed batch entries
  size_t failed_resources = 0;  // in refused bundles or failed batch entries
  double batch_seconds = 0;     // the batch bundles, posted one at a time first
  double seconds = 0;           // everything, wall clock
  std::vector<Failure> failures;
};

// Posts every bundle to /fhir: the batch bundles one at a time first (the others refer to
// them), then the rest from `clients` parallel keep-alive connections.
IngestResult Ingest(const Server& server, const std::vector<Bundle>& bundles, int clients);

struct RateResult {
  size_t ok = 0;
  size_t failed = 0;
  double seconds = 0;
  Latency latency;
  std::vector<Failure> failures;  // the first few
};

// A transaction Bundle of one new Patient and one Observation whose subject is the
// Patient's urn:uuid fullUrl. Fresh identifiers on every call.
json::Value SmallTransactionBundle();

// Posts SmallTransactionBundle()s from `clients` connections for `seconds`.
RateResult SmallTransactions(const Server& server, int clients, double seconds);

// Creates `count` Patients (transaction bundles of 100) and returns their ids.
absl::StatusOr<std::vector<std::string>> CreatePatients(const Server& server, int count);

Latency LatencyOf(std::vector<double> millis);

}  // namespace rhip::bench
