// name: pull_partnerships
// purpose: every partnership with its properties, in chunks of lists
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:PARTNERS_WITH]->(b:Organisation)
WITH collect([a.id, b.id, properties(r)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
