// name: frames_partnerships
// purpose: partnerships with kind and dates
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:PARTNERS_WITH]->(b:Organisation)
WITH collect([a.id, b.id, r.kind, r.start, r.end]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
