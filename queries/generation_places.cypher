// name: generation_places
// purpose: every loaded place with what tells its generation apart (level, name, parent, point, population, sources)
// params: (none)
// returns: code, name, level, parent, lat, lon, population, sources
MATCH (p:Place)
OPTIONAL MATCH (p)-[:PART_OF]->(q:Place)
RETURN p.code AS code, p.name AS name, p.level AS level, q.code AS parent, p.lat AS lat, p.lon AS lon,
       p.population AS population, p.sources AS sources
