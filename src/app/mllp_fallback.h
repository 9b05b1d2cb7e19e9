// The MLLP handler `rhip serve` uses until interop/hl7v2 provides the real one: every
// message is answered with an HL7 v2 application reject (MSA-1 "AR"), so a sender sees at
// once that this build does not process HL7 v2, instead of waiting for an ACK that never
// comes. It reads only what an acknowledgement must echo from MSH.
#pragma once

#include <string>
#include <string_view>

namespace rhip::app {

// An ACK message with MSA|AR|<MSH-10 of message>|no HL7 v2 handler in this build, using the
// message's field separator and encoding characters, addressed back to its sender
// (MSH-3/4). timestamp is the HL7 TS for MSH-7 (e.g. 20260101120000+0000).
std::string NoHandlerReject(std::string_view message, std::string_view timestamp);

}  // namespace rhip::app
