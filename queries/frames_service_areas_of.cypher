// name: frames_service_areas_of
// purpose: the places served by the services with ids in $ids
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS sid
MATCH (:Service {id: sid})-[:SERVES]->(p:Place)
WITH collect([sid, p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
