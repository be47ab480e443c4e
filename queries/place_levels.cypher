// name: place_levels
// purpose: the level of each of these codes that is a loaded place
// params: $codes
// returns: code, level
UNWIND $codes AS c
MATCH (p:Place {code: c})
RETURN p.code AS code, p.level AS level
