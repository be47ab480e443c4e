// name: frames_sectors
// purpose: every organisation that has a sector, with it
// params: $chunk
// returns: chunk
MATCH (o:Organisation)
WHERE o.sector IS NOT NULL
WITH collect([o.id, o.sector]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
