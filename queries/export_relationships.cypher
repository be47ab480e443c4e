// name: export_relationships
// purpose: every relationship with its end nodes' labels and keys, in chunks of lists
// params: $chunk
// returns: chunk
MATCH (a)-[r]->(b)
WITH collect([type(r), labels(a), a {.id, .code}, labels(b), b {.id, .code}, properties(r)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
