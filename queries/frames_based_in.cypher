// name: frames_based_in
// purpose: where organisations are based
// params: $chunk
// returns: chunk
MATCH (o:Organisation)-[:BASED_IN]->(p:Place)
WITH collect([o.id, p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
