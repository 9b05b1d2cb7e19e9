#!/usr/bin/env python3
"""Writes a deterministic NDJSON population for the import benchmark: Patient.ndjson and
Observation.ndjson (9 Observations per Patient: vitals and labs with LOINC codes, values and
dates), resources with ids (an import keeps them) and references between them.

  generate_ndjson.py OUT_DIR RESOURCES
"""
import json
import os
import random
import sys

FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"]
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军"]
CODES = [("8867-4", "Heart rate", "/min"), ("8310-5", "Body temperature", "Cel"),
         ("29463-7", "Body weight", "kg"), ("2339-0", "Glucose", "mmol/L"),
         ("2093-3", "Cholesterol", "mmol/L"), ("4548-4", "HbA1c", "%"),
         ("8302-2", "Body height", "cm"), ("39156-5", "BMI", "kg/m2"), ("2571-8", "Triglyceride", "mmol/L")]


def main():
    out, total = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(20261129)
    patients = max(1, total // 10)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "Patient.ndjson"), "w") as p, \
         open(os.path.join(out, "Observation.ndjson"), "w") as o:
        for i in range(patients):
            pid = f"p{i:08d}"
            p.write(json.dumps({
                "resourceType": "Patient", "id": pid,
                "identifier": [{"system": "urn:oid:2.16.156.10011.1.3",
                                "value": f"1101051990{i:08d}"[:17] + "X"}],
                "name": [{"text": rnd.choice(FAMILY) + rnd.choice(GIVEN)}],
                "gender": rnd.choice(["male", "female"]),
                "birthDate": f"{rnd.randint(1930, 2020)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                "address": [{"city": "北京市", "district": "东城区"}],
            }, ensure_ascii=False, separators=(",", ":")) + "\n")
            for k in range(9):
                code, text, unit = CODES[k]
                o.write(json.dumps({
                    "resourceType": "Observation", "id": f"o{i:08d}{k}", "status": "final",
                    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                              "code": "vital-signs" if k < 3 else "laboratory"}]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": text}]},
                    "subject": {"reference": f"Patient/{pid}"},
                    "effectiveDateTime": f"20{rnd.randint(15, 25)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T08:30:00+08:00",
                    "valueQuantity": {"value": round(rnd.uniform(1, 200), 1), "unit": unit,
                                      "system": "http://unitsofmeasure.org", "code": unit},
                }, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
