// name: pull_funding
// purpose: funding flows; all, or those whose recipient has an id in $ids
// params: $ids, $chunk
// returns: chunk
MATCH (a:Organisation)-[r:FUNDS]->(b:Organisation)
WHERE $ids IS NULL OR b.id IN $ids
WITH collect([a.id, b.id, properties(r)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
