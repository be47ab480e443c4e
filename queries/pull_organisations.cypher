// name: pull_organisations
// purpose: every organisation with the place it is based in, in chunks of lists
// params: $chunk
// returns: chunk
MATCH (o:Organisation)
OPTIONAL MATCH (o)-[:BASED_IN]->(p:Place)
WITH collect([o.id, properties(o), p.code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
