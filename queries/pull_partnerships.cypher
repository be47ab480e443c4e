// name: pull_partnerships
// purpose: every partnership with its properties, in chunks of lists; dates as ISO text (decoded far faster than Date values)
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:PARTNERS_WITH]->(b:Organisation)
WITH collect([a.id, b.id, r {.*, start: toString(r.start), end: toString(r.end)}]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
