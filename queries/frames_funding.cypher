// name: frames_funding
// purpose: funding flows with the fields the analysis reads
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:FUNDS]->(b:Organisation)
WITH collect([r.id, a.id, b.id, r.amount, r.start, r.end, r.service]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
