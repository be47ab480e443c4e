// name: pull_organisations_of
// purpose: the organisations with ids in $ids, with the place each is based in
// params: $ids, $chunk
// returns: chunk
UNWIND $ids AS oid
MATCH (o:Organisation {id: oid})
OPTIONAL MATCH (o)-[:BASED_IN]->(p:Place)
WITH collect([o.id, properties(o), p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
