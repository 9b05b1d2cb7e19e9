// A trained Model as JSON text, and the default model rhip ships (docs/MPI.md "Default model").
//
// Format (version 1; level names are checked on load, so a model trained for other levels is
// refused instead of read into the wrong slots):
//   {"format": "rhip-mpi-model", "version": 1, "description": "...",
//    "lambda": 1.2e-05, "tf_weight": 1, "tf_min": 1e-07,
//    "comparisons": [{"comparison": "name",
//                     "levels": [{"level": "exact", "m": 0.91, "u": 0.0004}, ...]}, ...]}
// Comparisons in Comparison order, levels in level order without the null level.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "registry/mpi/fellegi_sunter.h"

namespace rhip::registry::mpi {

inline constexpr int kModelFormatVersion = 1;

// Pretty-printed JSON; description says how the model was made (may be empty).
std::string ModelToJson(const Model& model, std::string_view description = {});
// kInvalid with the reason on malformed JSON, another format or version, missing or misnamed
// comparisons and levels, or values that fail ValidateModel.
absl::StatusOr<Model> ModelFromJson(std::string_view text);

// Names used in the JSON and reports ("name", "exact").
std::string_view ComparisonName(Comparison comparison);
std::string_view LevelName(Comparison comparison, uint8_t level);

// One line per comparison level: m, u and the weight log2(m/u).
std::string DescribeModel(const Model& model);

// The model trained on the synthetic Chinese residents (src/registry/mpi/default_model.json,
// embedded at build time; how to regenerate it is in docs/MPI.md). Parsed once; thread-safe.
const Model& DefaultModel();

}  // namespace rhip::registry::mpi
