// name: frames_based_in_of
// purpose: where the organisations with ids in $ids are based
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (:Organisation {id: oid})-[:BASED_IN]->(p:Place)
WITH collect([oid, p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
