#include "fhir/model/structure_model.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

std::vector<std::string> Codes(const ElementInfo& e) {
  std::vector<std::string> out;
  for (const ElementType& t : e.types) out.push_back(t.code);
  return out;
}

TEST(StructureModelTest, ResourceTypes) {
  const StructureModel& model = StructureModel::R4();
  EXPECT_TRUE(model.IsResourceType("Patient"));
  EXPECT_TRUE(model.IsResourceType("Bundle"));
  EXPECT_FALSE(model.IsResourceType("Resource"));
  EXPECT_FALSE(model.IsResourceType("DomainResource"));
  EXPECT_FALSE(model.IsResourceType("HumanName"));
  EXPECT_FALSE(model.IsResourceType("patient"));
  const auto& names = model.ResourceTypeNames();
  EXPECT_GE(names.size(), 145u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THAT(names, Contains("Observation"));
  EXPECT_THAT(names, Not(Contains("DomainResource")));
}

TEST(StructureModelTest, TypesAndHierarchy) {
  const StructureModel& model = StructureModel::R4();
  const TypeInfo* patient = model.FindType("Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(patient->kind(), TypeInfo::Kind::kResource);
  EXPECT_TRUE(patient->IsA(*model.FindType("DomainResource")));
  EXPECT_TRUE(patient->IsA(*model.FindType("Resource")));
  EXPECT_TRUE(model.FindType("Age")->IsA(*model.FindType("Quantity")));
  EXPECT_EQ(model.FindType("code")->primitive(), PrimitiveKind::kCode);
  EXPECT_TRUE(model.FindType("code")->IsA(*model.FindType("string")));
  EXPECT_EQ(model.FindType("HumanName")->kind(), TypeInfo::Kind::kComplex);
  EXPECT_EQ(model.FindType("SimpleQuantity"), nullptr);  // a constraint, not a type
  EXPECT_EQ(model.FindType("NoSuchType"), nullptr);
}

TEST(StructureModelTest, Elements) {
  const StructureModel& model = StructureModel::R4();
  const ElementInfo* id = model.FindElement("Patient", "id");
  ASSERT_NE(id, nullptr);
  EXPECT_THAT(Codes(*id), ElementsAre("id"));  // Resource.id is an id, not a string
  const ElementInfo* status = model.FindElement("Observation", "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 1);
  EXPECT_EQ(status->max, 1);
  EXPECT_EQ(status->path, "Observation.status");
  const ElementInfo* given = model.FindElement("Patient", "name.given");
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->path, "HumanName.given");
  EXPECT_EQ(given->max, -1);
  EXPECT_TRUE(given->is_array());
  const ElementInfo* contact_name = model.FindElement("Patient", "contact.name");
  ASSERT_NE(contact_name, nullptr);
  EXPECT_EQ(contact_name->path, "Patient.contact.name");
  EXPECT_EQ(model.FindElement("Patient", "contact.nope"), nullptr);
  EXPECT_EQ(model.FindElement("Patient", "name.given.x"), nullptr);
  EXPECT_EQ(model.FindType("Patient.contact")->kind(), TypeInfo::Kind::kBackbone);
}

TEST(StructureModelTest, ChoiceElements) {
  const StructureModel& model = StructureModel::R4();
  const ElementInfo* value = model.FindElement("Observation", "value");
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->is_choice);
  EXPECT_EQ(value->path, "Observation.value[x]");
  EXPECT_THAT(Codes(*value), Contains("Quantity"));
  EXPECT_THAT(Codes(*value), Contains("dateTime"));
  const TypeInfo& obs = *model.FindType("Observation");
  MemberMatch m = obs.FindMember("valueDateTime");
  ASSERT_TRUE(m);
  EXPECT_EQ(m.element, value);
  EXPECT_EQ(m.type->code, "dateTime");
  EXPECT_EQ(m.type->info->primitive(), PrimitiveKind::kDateTime);
  EXPECT_FALSE(obs.FindMember("value"));
  EXPECT_FALSE(obs.FindMember("valueFoo"));
  EXPECT_EQ(obs.FindMember("status").type->json_name, "status");
}

TEST(StructureModelTest, ContentReferenceAndTargets) {
  const StructureModel& model = StructureModel::R4();
  const ElementInfo* item_item = model.FindElement("Questionnaire", "item.item");
  ASSERT_NE(item_item, nullptr);
  ASSERT_EQ(item_item->types.size(), 1u);
  EXPECT_EQ(item_item->types[0].info, model.FindType("Questionnaire.item"));
  EXPECT_NE(model.FindElement("Questionnaire", "item.item.item.linkId"), nullptr);
  const ElementInfo* org = model.FindElement("Patient", "managingOrganization");
  ASSERT_NE(org, nullptr);
  EXPECT_THAT(org->types[0].target_types, ElementsAre("Organization"));
  const ElementInfo* contained = model.FindElement("Patient", "contained");
  ASSERT_NE(contained, nullptr);
  EXPECT_EQ(contained->types[0].code, "Resource");
  EXPECT_EQ(contained->types[0].info, nullptr);
}

// isSummary from the base definitions, for _summary=true.
TEST(StructureModelTest, SummaryElements) {
  const StructureModel& model = StructureModel::R4();
  struct Case {
    const char* type;
    const char* path;
    bool summary;
  };
  for (const Case& c : std::vector<Case>{{"Patient", "name", true}, {"Patient", "deceased", true},
                                         {"Patient", "id", true}, {"Patient", "contact", false},
                                         {"Patient", "photo", false}, {"Patient", "text", false},
                                         {"Patient", "link.type", true}, {"Patient", "contact.name", false},
                                         {"Observation", "code", true}, {"Observation", "value", true},
                                         {"Observation", "referenceRange", false},
                                         {"HumanName", "family", true}}) {
    const ElementInfo* e = model.FindElement(c.type, c.path);
    ASSERT_NE(e, nullptr) << c.type << "." << c.path;
    EXPECT_EQ(e->is_summary, c.summary) << c.type << "." << c.path;
  }
}

TEST(StructureModelTest, ConcurrentFirstUse) {
  std::vector<std::thread> threads;
  std::vector<const StructureModel*> seen(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&seen, i] { seen[i] = &StructureModel::R4(); });
  }
  for (auto& t : threads) t.join();
  for (const StructureModel* m : seen) EXPECT_EQ(m, seen[0]);
}

}  // namespace
}  // namespace rhip::fhir
