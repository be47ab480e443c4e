// name: placement_organisations
// purpose: every organisation that a postcode or a public body's org-id may place, with its BASED_IN links
// params: $prefixes, $basis
// returns: id, postcode, explicit, derived
MATCH (o:Organisation)
WHERE o.postcode IS NOT NULL OR size([p IN $prefixes WHERE o.id STARTS WITH p]) > 0
   OR EXISTS { MATCH (o)-[d:BASED_IN]->(:Place) WHERE d.basis IN $basis }
OPTIONAL MATCH (o)-[r:BASED_IN]->(p:Place)
RETURN o.id AS id, o.postcode AS postcode,
       collect(CASE WHEN r.basis IS NULL THEN p.code END) AS explicit,
       collect(CASE WHEN r.basis IS NOT NULL THEN {code: p.code, basis: r.basis} END) AS derived
