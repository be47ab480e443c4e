// name: link_funded_for
// purpose: after places are loaded, link the recipients of flows loaded earlier to those of the places their beneficiary places name (recorded as the flow's source)
// params: $codes
// returns: (nothing)
MATCH (:Organisation)-[r:FUNDS]->(b:Organisation)
WHERE r.beneficiary_places IS NOT NULL
UNWIND r.beneficiary_places AS code
WITH DISTINCT b, code, r.source AS source, r.load_run AS run, r.sources AS sources
WHERE code IN $codes
MATCH (p:Place {code: code})
MERGE (b)-[f:FUNDED_FOR]->(p)
ON CREATE SET f.source = source, f.load_run = run, f.sources = sources
