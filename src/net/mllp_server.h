// The MLLP listener: HL7 v2 messages over TCP (optionally TLS) in MLLP frames
// (0x0B payload 0x1C 0x0D). It owns framing, limits, timeouts and transport of the reply;
// what a message means and what the acknowledgement says belong to the handler
// (interop/hl7v2). Boost stays out of this header.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "net/tls_context.h"

namespace rhip::net {

struct MllpMessage {
  std::string channel;         // MllpChannelOptions::name
  std::string remote_address;  // the peer's IP address
  bool tls = false;
  std::string payload;  // the bytes between the start and end blocks, unconverted
};

// Handles one message on a worker thread and returns the reply payload (the ACK), which the
// server frames and sends; an empty reply sends nothing. Messages of one connection are
// handled one at a time, in order, so their replies go out in order. A handler that throws
// gets its connection closed (the sender will retry). Must be thread-safe.
using MllpHandler = std::function<std::string(const MllpMessage&)>;

struct MllpChannelOptions {
  std::string name;  // metrics label and MllpMessage::channel, e.g. "his-adt"
  std::string host = "127.0.0.1";
  uint16_t port = 2575;  // 0 picks a free port (tests)
  // IPv4/IPv6 addresses and CIDR ranges ("10.20.0.0/16", "::1"); empty: any source. Any
  // other peer is disconnected at once and counted (reason "source").
  std::vector<std::string> allowed_sources;
  TlsOptions tls;  // enabled: every connection on this channel is TLS
};

struct MllpServerOptions {
  std::vector<MllpChannelOptions> channels;  // at least one; names unique
  int io_threads = 1;
  int worker_threads = 4;
  int max_queued_messages = 256;  // beyond this a connection waits (up to read_timeout)
  int max_connections = 256;      // over all channels; beyond this new ones are closed
  size_t max_message_bytes = 8 * 1024 * 1024;  // a larger payload closes the connection
  std::chrono::seconds read_timeout{30};  // a message (or TLS handshake) must complete within this
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds idle_timeout{300};  // open connection with no message started
  std::chrono::seconds drain_timeout{10};  // Stop() waits this long for messages in flight
};

class MllpServer {
 public:
  virtual ~MllpServer() = default;  // the implementation's destructor calls Stop()

  // Binds every channel and starts serving. kInvalid for bad options (a bad source entry,
  // certificate or key), kUnavailable when a port cannot be bound.
  static absl::StatusOr<std::unique_ptr<MllpServer>> Start(const MllpServerOptions& options,
                                                           MllpHandler handler);

  // The port a channel is bound to (useful with port 0); 0 for an unknown channel.
  virtual uint16_t port(std::string_view channel) const = 0;

  // Stops accepting, closes idle connections, lets messages in flight finish (up to
  // drain_timeout), then closes the rest. Idempotent. REQUIRES: not called from a handler.
  virtual void Stop() = 0;
};

}  // namespace rhip::net
