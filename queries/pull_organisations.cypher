// name: pull_organisations
// purpose: organisations with the place they are based in; all, or those with ids in $ids
// params: $ids, $chunk
// returns: chunk
MATCH (o:Organisation)
WHERE $ids IS NULL OR o.id IN $ids
OPTIONAL MATCH (o)-[:BASED_IN]->(p:Place)
WITH collect([o.id, properties(o), p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
