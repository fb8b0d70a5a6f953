#!/usr/bin/env python3
"""Writes tests/TestData/own-cases: patients that pin subtle readings of the PTTM rule.

Each case is a FHIR R4 transaction Bundle plus case.json in the format of the shared cases
(see cases/README.md). Run: python3 tests/TestData/own-cases.py (it rewrites the folder).
docs/clinical-rule.md (Test patients) lists which reading each case pins.
"""
import json, os, shutil, uuid
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
LOCAL = "http://hospital.example.org/fhir/CodeSystem/local-results"
SCT, LOINC, ICD = "http://snomed.info/sct", "http://loinc.org", "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "own-cases")


def iso(days, hours=0):
    return (NOW - timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Case:
    def __init__(self, cid, pid, description, born="1965-05-01"):
        self.cid, self.pid, self.description, self.n = cid, pid, description, 0
        self.resources = [{"resourceType": "Patient", "id": pid, "birthDate": born, "gender": "female"}] if born else [{"resourceType": "Patient", "id": pid, "gender": "female"}]

    def _id(self, kind):
        self.n += 1
        return f"{self.pid}-{kind}{self.n}"

    def condition(self, codings=None, text=None, days=10, status="active", verification="confirmed"):
        code = {}
        if codings:
            code["coding"] = [{"system": s, "code": c, "display": d} for s, c, d in codings]
        if text:
            code["text"] = text
        r = {"resourceType": "Condition", "id": self._id("cond"),
             "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
             "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
             "code": code, "subject": {"reference": f"Patient/{self.pid}"}, "onsetDateTime": iso(days), "recordedDate": iso(days)}
        self.resources.append(r)
        return r["id"]

    def obs(self, system, code, display, value, unit=None, ucum=None, days=1, hours=0, method=None, text=None, status="final"):
        coding = {"system": system, "code": code, "display": display}
        r = {"resourceType": "Observation", "id": self._id("obs"), "status": status,
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
             "code": {"coding": [coding]}, "subject": {"reference": f"Patient/{self.pid}"}, "effectiveDateTime": iso(days, hours)}
        if text:
            r["code"]["text"] = text
        q = {"value": value}
        if unit:
            q["unit"] = unit
        if ucum:
            q["system"], q["code"] = UCUM, ucum
        r["valueQuantity"] = q
        if method:
            r["method"] = {"text": method}
        self.resources.append(r)
        return r["id"]

    def report(self, system, code, display, conclusion, days=1, category="RAD", status="final"):
        r = {"resourceType": "DiagnosticReport", "id": self._id("rep"), "status": status,
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": category}]}],
             "code": {"coding": [{"system": system, "code": code, "display": display}]},
             "subject": {"reference": f"Patient/{self.pid}"}, "effectiveDateTime": iso(days), "issued": iso(days),
             "conclusion": conclusion}
        self.resources.append(r)
        return r["id"]

    # Shorthands in the shared cases' own codes.
    def spo2(self, v, **kw): return self.obs(LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", v, "%", "%", **kw)
    def pao2(self, v, **kw): return self.obs(LOINC, "2703-7", "Oxygen [Partial pressure] in Arterial blood", v, "mmHg", "mm[Hg]", **kw)
    def paco2(self, v, **kw): return self.obs(LOINC, "2019-8", "Carbon dioxide [Partial pressure] in Arterial blood", v, "mmHg", "mm[Hg]", **kw)
    def rvsp(self, v, **kw): return self.obs(LOCAL, "ECHO-RVSP", "RV systolic pressure (echo estimate)", v, "mmHg", "mm[Hg]", **kw)
    def ctpa(self, text, **kw): return self.report(LOCAL, "IMG-CTPA", "CT angiography chest for pulmonary embolism", text, **kw)
    def perfusion(self, text, **kw): return self.report(LOCAL, "NM-LUNG-PERF", "NM lung perfusion scan", text, **kw)
    def echo(self, text, **kw): return self.report(LOCAL, "CARD-TTE", "Transthoracic echocardiogram", text, category="CUS", **kw)
    def lung_cancer(self): return self.condition([(SCT, "254626006", "Adenocarcinoma of lung")], "Adenocarcinoma of lung", days=200)

    def write(self, recommendation, suspicion, indicator, criteria=None, evidence=None):
        folder = os.path.join(OUT, self.cid)
        os.makedirs(folder)
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"pttmhooks/{r['resourceType']}/{r['id']}")), "resource": r,
             "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in self.resources]}
        case = {"id": self.cid, "description": self.description, "source": "own (tests/TestData/own-cases.py)",
                "evaluatedAt": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "context": {"userId": "Practitioner/example", "patientId": self.pid},
                "expected": {"recommendation": recommendation, "suspicion": suspicion, "indicator": indicator}}
        if criteria:
            case["expected"]["criteria"] = criteria
        if evidence:
            case["expected"]["evidence"] = evidence
        for name, doc in (("bundle.json", bundle), ("case.json", case)):
            with open(os.path.join(folder, name), "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")


shutil.rmtree(OUT, ignore_errors=True)

c = Case("own-ctpa-older-than-30-days", "ownoldct", "Lung adenocarcinoma, SpO2 86 %, RVSP 50 mmHg; the only CTPA (negative) is 40 days old: it cannot exclude a new embolism, so PTTM is only possible.")
c.lung_cancer(); s = c.spo2(86); e = c.rvsp(50, days=3); old = c.ctpa("No pulmonary embolism.", days=40)
c.write("lung-perfusion-scan", "possible", "info", {"C4": "Unknown", "C3": "Met"}, [f"Observation/{s}", f"DiagnosticReport/{old}"])

c = Case("own-unconfirmed-code-contradicted-by-text", "owntext", "A Condition coded 233947005 (a CTEPH code no public source confirmed) whose text says pulmonary hypertension from COPD: the text wins, CTEPH does not silence the card, and the Condition counts as PH.")
c.lung_cancer(); s = c.spo2(87); c.ctpa("No evidence of pulmonary embolism.", days=4)
ph = c.condition([(SCT, "233947005", "Chronic thromboembolic pulmonary hypertension")], "Pulmonary hypertension secondary to COPD", days=20)
c.write("lung-perfusion-scan", "suspected", "warning", {"C3": "Met", "Cteph": "NotMet"}, [f"Condition/{ph}", f"Observation/{s}"])

c = Case("own-exertional-desaturation-is-not-a-trend", "ownexert", "SpO2 95 % at rest and 86 % during a 6-minute walk the same morning: the exertional value meets C2, but rest-to-exertion is not rapid progression (warning, not critical).")
c.lung_cancer(); c.spo2(95, hours=3); ex = c.spo2(86, method="During 6-minute walk test"); c.rvsp(45, days=2); c.ctpa("Negative for pulmonary embolism.", days=2)
c.write("lung-perfusion-scan", "suspected", "warning", {"C2": "Met"}, [f"Observation/{ex}"])

c = Case("own-aa-gradient-room-air-assumed", "ownaa", "SpO2 92 %, PaO2 65 mmHg, PaCO2 30 mmHg, no FiO2 recorded and no oxygen: room air assumed, A-a gradient 47 mmHg above the limit for age 61 (19 mmHg): C2 met on the gradient alone.", born="1965-05-01")
c.lung_cancer(); c.spo2(92); o2 = c.pao2(65); co2 = c.paco2(30); c.rvsp(48, days=2); c.ctpa("No pulmonary emboli.", days=2)
c.write("lung-perfusion-scan", "suspected", "warning", {"C2": "Met"}, [f"Observation/{o2}", f"Observation/{co2}"])

c = Case("own-aa-gradient-on-oxygen-not-computed", "ownaao2", "The same blood gas while on 2 L/min oxygen with no FiO2 recorded: the gradient cannot be computed, nothing else shows hypoxaemia or dyspnea, so C2 is not met and there is no card.")
c.lung_cancer(); c.spo2(92); c.pao2(65); c.paco2(30)
c.obs(LOINC, "3151-8", "Inhaled oxygen flow rate", 2, "L/min", "L/min"); c.rvsp(48, days=2); c.ctpa("No pulmonary emboli.", days=2)
c.write("none", None, None, {"C2": "NotMet"})

c = Case("own-pe-cannot-be-excluded", "ownequiv", "A CTPA limited by contrast timing: 'Subsegmental PE cannot be excluded.' A doubt is not a negative study: C4 stays Unknown and PTTM is only possible.")
c.lung_cancer(); c.spo2(86); c.rvsp(52, days=2); ct = c.ctpa("Suboptimal contrast bolus. Subsegmental pulmonary embolism cannot be excluded.", days=1)
c.write("lung-perfusion-scan", "possible", "info", {"C4": "Unknown"}, [f"DiagnosticReport/{ct}"])

c = Case("own-defects-before-ctpa", "owndefnoct", "Perfusion defects but no CTPA: PE and PTTM both fit and CTPA comes first; the rule stays silent.")
c.lung_cancer(); c.spo2(86); c.rvsp(52, days=2); c.perfusion("Multiple small peripheral perfusion defects.", days=1)
c.write("none", None, None, {"C4": "Unknown", "C5": "defects"})

c = Case("own-normal-then-defects", "ownperf2", "A normal perfusion scan 60 days ago and one with subsegmental defects 3 days ago: defects outweigh the older normal scan, so cytology is recommended.")
c.lung_cancer(); c.spo2(84); c.rvsp(58, days=2); c.ctpa("No evidence of pulmonary embolism.", days=4)
c.perfusion("Normal perfusion. No perfusion defects.", days=60); d = c.perfusion("Multiple subsegmental perfusion defects in both lungs.", days=3)
c.write("wedged-pa-cytology", "suspected", "critical", {"C5": "defects"}, [f"DiagnosticReport/{d}"])

c = Case("own-local-codes-and-text-only", "ownlocal", "Everything under local codes with text and non-UCUM units: a cancer named only in text, PaO2 7.2 kPa (54 mmHg), TR velocity 3.4 m/s, platelets in x10^9/L, and a contrast chest CT whose text comments on the pulmonary arteries.")
ca = c.condition(None, "Metastatic adenocarcinoma of unknown primary", days=120)
o2 = c.obs(LOCAL, "ABG-PO2", "Arterial pO2", 7.2, "kPa")
trv = c.obs(LOCAL, "ECHO-TRV", "TR Vmax (echo)", 3.4, "m/s")
c.obs(LOCAL, "HEM-PLT", "Platelet count", 120, "x10^9/L")
ct = c.report(LOCAL, "IMG-CT-THX-C", "CT thorax with contrast", "No filling defects in the pulmonary arteries. Mediastinal lymphadenopathy.", days=2)
c.write("lung-perfusion-scan", "suspected", "warning", {"C1": "Met", "C2": "Met", "C3": "Met", "C4": "Met", "C6": "Met"}, [f"Condition/{ca}", f"Observation/{o2}", f"Observation/{trv}", f"DiagnosticReport/{ct}"])

c = Case("own-resolved-cteph-does-not-silence", "ownpea", "CTEPH recorded as resolved after endarterectomy three years ago; now breast cancer with new hypoxaemia and PH and a negative CTPA: an old, resolved CTEPH does not explain a new picture.")
c.condition([(ICD, "I27.24", "Chronic thromboembolic pulmonary hypertension")], days=1100, status="resolved")
c.condition([(ICD, "C50.912", "Malignant neoplasm of unspecified site of left female breast")], days=300)
s = c.spo2(83); c.rvsp(64, days=2); c.ctpa("No evidence of pulmonary embolism.", days=2)
c.write("lung-perfusion-scan", "suspected", "critical", {"Cteph": "NotMet"}, [f"Observation/{s}"])

c = Case("own-positive-then-negative-ctpa", "ownpepos", "A CTPA positive for PE 20 days ago and a negative one 3 days ago: the rule reads any positive CTPA in the window as 'PE explains the picture' (the specification's literal reading) and stays silent.")
c.lung_cancer(); c.spo2(86); c.rvsp(52, days=2)
c.ctpa("Acute segmental pulmonary embolism in the right lower lobe.", days=20); c.ctpa("No residual pulmonary embolism.", days=3)
c.write("none", None, None, {"C4": "NotMet"})

c = Case("own-preliminary-echo", "ownprelim", "The only PH evidence is a preliminary echocardiogram report stating RV dilatation and a D-shaped septum: preliminary results count (the card marks them).")
c.lung_cancer(); c.spo2(87); c.ctpa("No pulmonary embolism.", days=2)
ec = c.echo("Preliminary: RV dilatation with septal flattening (D-shaped left ventricle).", days=1, status="preliminary")
c.write("lung-perfusion-scan", "suspected", "warning", {"C3": "Met"}, [f"DiagnosticReport/{ec}"])

c = Case("own-negated-echo-and-history-cancer", "ownechoneg", "A personal history of colon cancer (Z85.038) and SpO2 88 %, but the echocardiogram says 'No pulmonary hypertension. Normal RV size and function.' with a negative CTPA: PH assessed and absent, no card.")
c.condition([(ICD, "Z85.038", "Personal history of other malignant neoplasm of large intestine")], days=2000)
c.spo2(88); c.echo("Normal LV function. No pulmonary hypertension. Normal RV size and function.", days=2); c.ctpa("No pulmonary embolism.", days=2)
c.write("none", None, None, {"C1": "Met", "C3": "NotMet"})
c = Case("own-pasp-only-in-echo-text", "ownpasptext", "The echocardiogram's only haemodynamic value is in its text, 'PA systolic pressure is 72 mmHg', with no coded Observation: numbers in report text count (pttm-criteria.md 1.1), so PH is met and the card is critical as for a coded 72 mmHg.")
c.lung_cancer(); c.spo2(88); c.ctpa("No pulmonary embolism.", days=2)
ec = c.echo("Normal LV size and function. Moderate tricuspid regurgitation. PA systolic pressure is 72 mmHg.", days=1)
c.write("lung-perfusion-scan", "suspected", "critical", {"C3": "Met"}, [f"DiagnosticReport/{ec}"])

c = Case("own-rvsp-range-in-echo-text", "ownrvsprange", "An echocardiogram stating only 'RVSP 35-40 mmHg' in its text: a range counts by its upper value, 40 mmHg meets C3 (at or above 40), so PTTM is suspected (warning: below 60).")
c.lung_cancer(); c.spo2(88); c.ctpa("No pulmonary embolism.", days=2)
ec = c.echo("Normal LV function. Mild TR, RVSP 35-40 mmHg.", days=1)
c.write("lung-perfusion-scan", "suspected", "warning", {"C3": "Met"}, [f"DiagnosticReport/{ec}"])
print("written to", OUT)
