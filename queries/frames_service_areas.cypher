// name: frames_service_areas
// purpose: the places each service serves
// params: $chunk
// returns: chunk
MATCH (s:Service)-[:SERVES]->(p:Place)
WITH collect([s.id, p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
