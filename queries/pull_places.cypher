// name: pull_places
// purpose: every place with its parent, in chunks of lists (boundaries left out: see place_boundaries)
// params: $chunk
// returns: chunk
MATCH (p:Place)
OPTIONAL MATCH (p)-[:PART_OF]->(q:Place)
WITH collect([p.code, p.name, p.level, p.population, p.imd_decile, p.lat, p.lon, q.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
