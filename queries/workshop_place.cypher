// name: workshop_place
// purpose: the place a workshop is about (no row when the code is not in the store)
// params: $code
// returns: code, name, level
MATCH (p:Place {code: $code})
RETURN p.code AS code, p.name AS name, p.level AS level
