// The JSON files of src/terminology/data/, embedded at build time (embed_data.cmake).
#pragma once

#include <span>
#include <string_view>

namespace rhip::terminology::internal {

struct EmbeddedFile {
  std::string_view name;  // "gb-3304.json"
  std::string_view text;
};

std::span<const EmbeddedFile> EmbeddedCodeSystems();

}  // namespace rhip::terminology::internal
