// name: pull_partnerships
// purpose: partnerships; all, or those touching an organisation with an id in $ids
// params: $ids, $chunk
// returns: chunk
MATCH (a:Organisation)-[r:PARTNERS_WITH]->(b:Organisation)
WHERE $ids IS NULL OR a.id IN $ids OR b.id IN $ids
WITH collect([a.id, b.id, properties(r)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
