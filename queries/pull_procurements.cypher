// name: pull_procurements
// purpose: every planned or open procurement with its properties (buyer, category and places are properties), in chunks of lists
// params: $chunk
// returns: chunk
MATCH (p:Procurement)
WITH collect([p.id, properties(p)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
