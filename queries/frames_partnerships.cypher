// name: frames_partnerships
// purpose: partnerships with kind and dates; dates as ISO text (the driver decodes text far faster than Date values)
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:PARTNERS_WITH]->(b:Organisation)
WITH collect([a.id, b.id, r.kind, toString(r.start), toString(r.end)]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
