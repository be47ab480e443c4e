// name: export_nodes
// purpose: every node with its labels and properties, in chunks of lists
// params: $chunk
// returns: chunk
MATCH (n)
WITH collect([labels(n), properties(n)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
