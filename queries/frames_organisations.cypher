// name: frames_organisations
// purpose: every organisation id
// params: $chunk
// returns: chunk
MATCH (o:Organisation)
WITH collect(o.id) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
